"""Digits written for letters inside a word ("se7en", "m3gan", "w4ll-e"), read as the
letters. Pure; no IO. Shared by the catalogue's title search and the NLU's title index, so
"how about se7en?" finds *Seven* while a film is shown as "I loved Se7en" does at the
opening. Example::

    unleet("se7en")          # ['seten', 'seven']
    unleet("2 fast 2 furious")   # [] (its digits are words)
"""

from __future__ import annotations

import re

# a word of letters with digits among them: digits written for letters
LEET_WORD = re.compile(r"\b(?=\w*[a-z])\w*[a-z]\d+[a-z]\w*\b")
_LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "tv", "8": "b", "9": "g"}
_MAX_READINGS = 16


def unleet(key: str) -> list[str]:
    """The readings of ``key`` (a normalised title key) with the digits inside words as
    letters; [] when no word has digits among its letters."""
    if LEET_WORD.search(key) is None:
        return []
    readings = [""]
    for word in key.split(" "):
        inside = LEET_WORD.fullmatch(word) is not None
        options = [""]
        for ch in word:
            letters = _LEET.get(ch, ch) if inside else ch
            options = [o + c for o in options for c in letters][:_MAX_READINGS]
        readings = [f"{r} {o}".strip() for r in readings for o in options][:_MAX_READINGS]
    return readings
