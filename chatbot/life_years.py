"""Release years said from the user's own life: "from before I was born, I was born in 1985",
"something from when I was in high school, I'm 40", "the year I was born (1990)".

A time of life ("before I was born", "when I was a kid", "in high school", "when I was 12")
becomes a year range once the same message says when the user was born ("born in 1985",
"born in '85") or how old they are ("I'm 40", "I just turned 40": born ``this_year`` - 40).
The birth statement is no wish of its own ("I was born in 1990" asks for no 1990 films), so
its words are reported too, to be kept from the plain year reading. A time of life without
a birth year gives no range. Pure; no IO. Example::

    life_years("a movie from before i was born , i was born in 1985".split(), 2026)
    # [(3, 7, {'slot': 'year', 'range': [None, 1984], 'exclude': False}), (8, 13, None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.constraints import years
from chatbot.text import phrases

MIN_AGE, MAX_AGE = 5, 100  # "I'm 40" is an age in this span (not "I'm 2 hours free")
# ages a time of life spans, from its first year to its last
_PERIODS: dict[tuple[str, ...], tuple[int | None, int | None]] = {
    ("before", "i", "was", "born"): (None, -1), ("before", "im", "born"): (None, -1),
    ("before", "my", "time"): (None, -1), ("after", "i", "was", "born"): (1, None),
    ("since", "i", "was", "born"): (0, None), ("the", "year", "i", "was", "born"): (0, 0),
    ("when", "i", "was", "born"): (0, 0), ("my", "birth", "year"): (0, 0),
    ("the", "year", "of", "my", "birth"): (0, 0),
    ("my", "childhood"): (5, 12), ("growing", "up"): (5, 17), ("as", "a", "kid"): (5, 12),
    ("high", "school"): (14, 18), ("highschool",): (14, 18), ("middle", "school"): (11, 14),
    ("grade", "school"): (6, 11), ("elementary", "school"): (6, 11), ("primary", "school"): (5, 11),
    ("college",): (18, 22), ("university",): (18, 22), ("uni",): (18, 22),
    ("my", "teens"): (13, 19), ("my", "teenage", "years"): (13, 19), ("as", "a", "teen"): (13, 19),
    ("as", "a", "teenager"): (13, 19), ("my", "twenties"): (20, 29), ("my", "20s"): (20, 29),
    ("my", "thirties"): (30, 39), ("my", "30s"): (30, 39),
}
_WHEN_I_WAS = (("when", "i", "was"), ("back", "when", "i", "was"), ("when", "we", "were"))
_SELF_THEN = {"kid": (5, 12), "child": (5, 12), "little": (4, 10), "small": (4, 10),
              "young": (5, 15), "younger": (5, 15), "teen": (13, 19), "teenager": (13, 19),
              "kids": (5, 12), "teens": (13, 19), "teenagers": (13, 19), "baby": (0, 3)}
_FILLERS = frozenset("a an just still only in at".split())
_AGE_OPENERS = (("i", "am"), ("im",), ("i", "turned"), ("i", "just", "turned"), ("i", "m"),
                ("i", "am", "now"), ("age",), ("aged",))
_BORN = (("born", "in"), ("born",), ("born", "back", "in"))


def life_years(tokens: Sequence[str], this_year: int) -> list[tuple[int, int, dict[str, Any] | None]]:
    """``(start, end, wish)`` for each time of life said with the user's birth year, and
    ``(start, end, None)`` for the words that gave the birth year; [] without a birth year."""
    birth = _birth(tokens, this_year)
    if birth is None:
        return []
    born_at, born_end, year = birth
    found: list[tuple[int, int, dict[str, Any] | None]] = []
    for start, end, (first, last) in _periods(tokens):
        if start < born_end and born_at < end:
            continue  # "the year i was born" is no birth statement's own words
        found.append((start, end, years(None if first is None else year + first,
                                         None if last is None else year + last)))
    return [*found, (born_at, born_end, None)] if found else []


def _birth(tokens: Sequence[str], this_year: int) -> tuple[int, int, int] | None:
    """Where the birth year is said and the year: "born in 1985", "born in 85", "I'm 40"."""
    for i in range(len(tokens)):
        for opener in _BORN:
            at = i + len(opener)
            if tuple(tokens[i:at]) == opener and at < len(tokens) and tokens[at].isdigit():
                year = _full_year(tokens[at], this_year)
                if year is not None:
                    return i, at + 1, year
        for opener in _AGE_OPENERS:
            at = i + len(opener)
            if tuple(tokens[i:at]) == opener and at < len(tokens) and tokens[at].isdigit() \
                    and MIN_AGE <= int(tokens[at]) <= MAX_AGE and not _unit_after(tokens, at + 1):
                end = at + 1
                while end < len(tokens) and tokens[end] in ("years", "year", "yrs", "old", "now"):
                    end += 1
                return i, end, this_year - int(tokens[at])
    return None


def _unit_after(tokens: Sequence[str], at: int) -> bool:
    """"I'm 40 minutes from home": no age."""
    return at < len(tokens) and tokens[at] in ("minutes", "mins", "min", "hours", "hrs", "percent")


def _full_year(said: str, this_year: int) -> int | None:
    """"1985" and "85" (a century before this one when it is past) -> 1985."""
    value = int(said)
    if len(said) == 4 and 1900 <= value <= this_year:
        return value
    if len(said) == 2:
        return 2000 + value if 2000 + value <= this_year else 1900 + value
    return None


def _periods(tokens: Sequence[str]) -> list[tuple[int, int, tuple[int | None, int | None]]]:
    """Times of life and the ages they span: "before I was born", "in high school", "when
    I was a kid", "when I was 12"."""
    return phrases(tokens, lambda i: _period_at(tokens, i))


def _period_at(tokens: Sequence[str], i: int) -> tuple[int, int, tuple[int | None, int | None]] | None:
    for words, ages in sorted(_PERIODS.items(), key=lambda p: -len(p[0])):
        if tuple(tokens[i : i + len(words)]) == words:
            return i, i + len(words), ages
    for opener in _WHEN_I_WAS:
        at = i + len(opener)
        if tuple(tokens[i:at]) != opener:
            continue
        while at < len(tokens) and tokens[at] in _FILLERS:
            at += 1
        if at < len(tokens) and tokens[at] in _SELF_THEN:
            return i, at + 1, _SELF_THEN[tokens[at]]
        if at < len(tokens) and tokens[at].isdigit() and int(tokens[at]) <= MAX_AGE:
            return i, at + 1, (int(tokens[at]), int(tokens[at]))  # "when I was 12"
        period = _period_at(tokens, at) if at > i + len(opener) else None  # "when i was in college"
        if period is not None:
            return i, period[1], period[2]
    return None
