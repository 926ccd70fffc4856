"""Titles that open with initials, however the initials are written: "la confidential", "LA
Confidential" and "l.a. confidential" are *L.A. Confidential*; "e t", "e.t" and "ET" are
*E.T. the Extra-Terrestrial*. Every way of writing a catalogue title's initials (dots or
none, spaced or run together, any case) is rewritten as the catalogue writes them, so that
the title readers downstream see one spelling. Pure. Example::

    spell = InitialsSpeller(["L.A. Confidential", "E.T. the Extra-Terrestrial"])
    spell("can we watch e t")          # 'can we watch E.T.'
    spell("something like la confidential")  # 'something like L.A. confidential'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.titles import normalise_title, short_forms

# a catalogue title's opening initials, as it writes them ("E.T. ", "L.A. ")
_OPENING = re.compile(r"^\s*(?P<letters>(?:[A-Za-z]\.\s?){2,})")
# initials said: single letters with dots or spaces between ("e t", "E.T.", "l. a."), or a
# run of two to five letters (its case is checked below); then the words after them
_SAID = re.compile(r"(?<![\w.])(?P<said>[A-Za-z](?:(?:\.\s?|\s)[A-Za-z](?![\w]))+\.?|[A-Za-z]{2,5}\b\.?)")


class InitialsSpeller:
    """Rewrites a title's initials as the catalogue writes them (see the module doc)."""

    def __init__(self, titles: Iterable[str]) -> None:
        self._written: dict[str, str] = {}  # "la" -> "L.A."
        self._rests: dict[str, list[list[str]]] = {}  # "la" -> [["confidential"], ["story"]]
        self._alone: set[str] = set()  # initials people say alone ("et"), never everyday words
        for title in titles:
            found = _OPENING.match(title)
            if not found:
                continue
            letters = re.sub(r"[^A-Za-z]", "", found["letters"]).lower()
            self._written.setdefault(letters, found["letters"].replace(" ", "").strip())
            rest = normalise_title(title[found.end() :]).split()
            if rest:
                self._rests.setdefault(letters, []).append(rest)
            self._alone.update(f for f in short_forms(title) if f == letters)

    def __call__(self, text: str) -> str:
        return _SAID.sub(lambda m: self._spelt(m, text), text)

    def _spelt(self, match: re.Match[str], text: str) -> str:
        said = match["said"]
        letters = re.sub(r"[^A-Za-z]", "", said).lower()
        written = self._written.get(letters)
        if written is None:
            return said
        marked = bool(re.search(r"[.\s]", said.rstrip("."))) or said.isupper()  # "e t", "E.T", "ET"
        after = normalise_title(text[match.end() :]).split()
        rest_follows = any(after[: len(rest)] == rest for rest in self._rests.get(letters, ()))
        if rest_follows or marked and letters in self._alone:
            return written
        return said
