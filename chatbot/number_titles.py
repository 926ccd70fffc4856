"""Films whose titles are numbers: "how about 2001?", "1941 please", "2001 a space odyssey
pls". Pure; no IO.

A year-like number asked for as a film (after "how about", before "pls") is that film when
the catalogue has one so titled, or one whose title opens with it before a colon ("2001" is
how people say *2001: A Space Odyssey*). Its number is then no release-date wish; a year in
a wish frame ("from 2001", "something 1999ish") never reaches here and stays a year.
Example::

    numbered_title("2001", index)                          # '2001: A Space Odyssey'
    title_number_tokens(["how", "about", "2001"], "2001: A Space Odyssey")   # {2}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from chatbot.titles import TitleIndex

_NUMBER = re.compile(r"(?:1[89]|20)\d\d")
_HEADED = re.compile(r"(?P<number>(?:1[89]|20)\d\d):\s")


def numbered_title(said: str, index: TitleIndex) -> str | None:
    """The film a said title that opens with a year-like number names, else None: the
    exact title ("2012", "2001 a space odyssey"), or the one title "N: ..." for "N"."""
    words = said.split()
    if not words or not _NUMBER.fullmatch(words[0]):
        return None
    return index.exact(said) or (_headed(index).get(words[0]) if len(words) == 1 else None)


@functools.cache
def _headed(index: TitleIndex) -> dict[str, str]:
    # the index keeps its titles private; read once per index (the catalogue is fixed)
    heads: dict[str, set[str]] = {}
    for title in set(index._exact.values()):
        match = _HEADED.match(title)
        if match:
            heads.setdefault(match["number"], set()).add(title)
    return {number: titles.pop() for number, titles in heads.items() if len(titles) == 1}


def title_number_tokens(tokens: Sequence[str], wanted: str | None) -> set[int]:
    """Where the number a film asked for opens with is said: those tokens are its title,
    never films of that year ("how about 2012?" asks for *2012*, not for 2010 to 2014)."""
    words = re.findall(r"\w+", (wanted or "").lower())
    if not words or not _NUMBER.fullmatch(words[0]):
        return set()
    used: set[int] = set()
    for start in (i for i, token in enumerate(tokens) if token == words[0]):
        end = start + 1  # the title's other words said after it ("a space odyssey"): no sci-fi
        while end < len(tokens) and end - start < len(words) and tokens[end] == words[end - start]:
            end += 1
        used.update(range(start, end))
    return used
