"""One reply says each thing once. Two approximations that land on the same rating bound
("Someone watching frightens easily, so I'll keep to milder horror: films rated PG-13 or
lower." and "I can't measure violence, so I'll keep to films rated PG-13 or below.") say the
bound once, the second only what it cannot measure; a "Got it: ..." that a note of the same
reply restates with its reason ("For something feel-good I'll look for comedies and leave out
horror, war and crime films.") is left out. Pure; no IO. Example::

    said_once(["... films rated PG-13 or lower.", "I can't measure violence, so I'll keep to films rated PG-13 or below."])
    # ['... films rated PG-13 or lower.', 'I can't measure violence either, so that bound covers it too.']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_BOUND = re.compile(r"rated (G|PG|PG-13|R|NC-17) or (?:below|lower)")
_CANT_SO_BOUND = re.compile(r"^I can't (?P<what>.+?), so I'll keep to films rated (?P<bound>G|PG|PG-13|R|NC-17) "
                            r"or (?:below|lower)\.$")
_GOT_IT = re.compile(r"^Got it: (?P<said>.+)\.$")
# a summary of one or two wishes is a short confirmation beside a note's reason ("Got it: the
# genre action." then "I have no superhero category, ..."); of several, the same list twice
_SEVERAL = 3
_SUMMARY_FILLERS = frozenset("the genre genres and or no not a an of".split())


def said_once(messages: Sequence[str]) -> list[str]:
    """``messages`` of one reply with a bound said twice said once, and a summary a note
    restates left out."""
    out: list[str] = []
    for message in messages:
        again = _CANT_SO_BOUND.match(message)
        if again and any(again["bound"] in _BOUND.findall(m) for m in out):
            message = f"I can't {again['what']} either, so that bound covers it too."
        out.append(message)
    return [m for i, m in enumerate(out) if not _restated(m, out[i + 1 :])]


def _restated(message: str, later: Sequence[str]) -> bool:
    """A "Got it: the genre comedy and no horror, war or crime." whose every value a single
    later note names (with why)."""
    got = _GOT_IT.match(message)
    if not got:
        return False
    values = [w for w in re.findall(r"[\w-]+", got["said"].lower()) if w not in _SUMMARY_FILLERS]
    if len(values) < _SEVERAL or any(w.isdigit() or w in ("rating", "actor", "director", "films", "from")
                         for w in values):
        return False
    return any(all(w[:5] in note.lower() for w in values) for note in later
               if "I'll" in note and not _GOT_IT.match(note) and not note.endswith("?"))
