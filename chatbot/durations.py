"""Lengths of time as people write them: "an hour 45", "1h45", "hour and a half", "1.5 hours",
"2 hours and 15 minutes", "half an hour", "90min". Pure; no IO.

Two steps, because folding drops the punctuation some forms need: ``spell_compact`` rewrites
the compact forms of raw text ("1h45", "1:45 hours", "1.5h", "90min") as "<minutes> minutes"
before the text is folded, and ``minutes_at`` reads the spelt-out forms from folded tokens.
An hour followed by a bare number under 60 ("an hour 45", "2 hours 10") adds those minutes:
that is how the phrase is said aloud. Example::

    spell_compact("under 1h45 please")                          # 'under 105 minutes please'
    minutes_at("under an hour 45".split(), 1)                   # (105, 4)
    minutes_at("at most one and a half hours".split(), 2)       # (90, 7)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

HOUR_UNITS = frozenset("hour hours hr hrs h".split())
MINUTE_UNITS = frozenset("minutes minute mins min m".split())
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                "forty-five": 45, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                "ninety": 90}
_BOUNDS = frozenset("under than within most below max maximum over least tops long".split())
_COUNTED = frozenset("year years yr yrs yo kid kids people stars star".split())
MAX_HOURS = 6  # "1:45" is a length only up to this many hours (no film runs longer)

_HOURS = r"(?:hours?|hrs?|h)"
_MINUTES = r"(?:minutes?|mins?|m)"
_COMPACT = (
    # "1h45", "1h 45m", "1hr45min", "2hrs 10" (spelt-out "2 hours 10" is ``minutes_at``'s)
    (re.compile(rf"\b(\d)\s?(?:hrs?|h)\s?([0-5]?\d)\s?(?:{_MINUTES})?(?![\w.:])", re.I),
     lambda m: int(m[1]) * 60 + int(m[2])),
    # "1.5 hours", "1,5h", "2.25 hrs"
    (re.compile(rf"\b(\d)[.,](\d{{1,2}})\s*{_HOURS}\b", re.I),
     lambda m: round(float(f"{m[1]}.{m[2]}") * 60)),
    # "1:45 hours", "under 1:45", "1:45 max" (not "at 5:30", a time of day: ``_clock_length``)
    (re.compile(rf"\b([0-{MAX_HOURS}]):([0-5]\d)(\s*{_HOURS}\b)?(?![\d:])", re.I),
     lambda m: _clock_length(m)),
    # "2h", "90min", "120m": a number glued to its unit
    (re.compile(rf"\b(\d{{1,3}}){_HOURS}(?![\w.:])", re.I), lambda m: int(m[1]) * 60),
    (re.compile(rf"\b(\d{{1,3}})(?:{_MINUTES})(?![\w.:])", re.I), lambda m: int(m[1])),
)


# "90ish mins", "2-ish hours", "an hour-ish": "about" the length (a hedge: a range around it)
_ISH = re.compile(r"\b(\d{1,3}|an?|one|two|three)\s?-?ish\b(?=\s*(?:hours?|hrs?|h|minutes?|mins?|m)\b)|"
                  r"\b(an?|one|two|three|\d)\s+(hours?|hrs?)\s?-?ish\b", re.I)


def _unish(match: re.Match[str]) -> str:
    return f"about {match[1]}" if match[1] else f"about {match[2]} {match[3]}"


def spell_compact(text: str) -> str:
    """``text`` with each compact length ("1h45", "1.5 hours", "1:45", "90min") written as
    "<minutes> minutes". Example: ``spell_compact("1,5h max")`` -> ``'90 minutes max'``."""
    text = _ISH.sub(_unish, text) if "ish" in text.lower() else text
    if not any(c.isdigit() for c in text):
        return text
    for pattern, minutes in _COMPACT:
        text = pattern.sub(_speller(minutes), text)
    return text


def _speller(minutes: Callable[[re.Match[str]], int | None]) -> Callable[[re.Match[str]], str]:
    """`re.sub`'s replacement for one compact form: the match spelt out in the minutes it reads."""
    return lambda m: _spelt(m, minutes(m))


def _spelt(match: re.Match[str], minutes: int | None) -> str:
    return match[0] if minutes is None else f"{minutes} minutes"


def _clock_length(match: re.Match[str]) -> int | None:
    """"1:45" as hours and minutes when a unit follows it or a bound word is next to it."""
    before = match.string[: match.start()].split()[-1:]
    after = match.string[match.end() :].split()[:1]
    if match[3] or before and before[0].lower() in _BOUNDS or after and after[0].lower() in _BOUNDS:
        return int(match[1]) * 60 + int(match[2])
    return None


def minutes_at(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """``(minutes, end)`` of the length starting at folded ``tokens[i]``, else None.

    Reads "2 hours", "90 minutes", "an hour and a half", "one and a half hours", "hour and a
    half", "half an hour", "an hour 45", "2 hours and 15 minutes"; ``end`` is the index after
    the phrase. Example: ``minutes_at(["an", "hour", "45"], 0)`` -> ``(105, 3)``.
    """
    word = _at(tokens, i)
    if word == "half" and _at(tokens, i + 1) in ("an", "a") and _at(tokens, i + 2) in HOUR_UNITS:
        return 30, i + 3
    said = 1 if word in HOUR_UNITS - {"h"} else _number(word)  # "under hour and a half"
    if said is None:
        return None
    number, unit_at = said, i if word in HOUR_UNITS else i + 1
    if tokens[unit_at : unit_at + 3] == ["and", "a", "half"] and _at(tokens, unit_at + 3) in HOUR_UNITS:
        return number * 60 + 30, unit_at + 4  # "one and a half hours"
    unit = _at(tokens, unit_at)
    if unit in MINUTE_UNITS:
        return number, unit_at + 1
    if unit not in HOUR_UNITS:
        return None
    return _hours_and(tokens, unit_at + 1, number * 60)


def _hours_and(tokens: Sequence[str], j: int, minutes: int) -> tuple[int, int]:
    """The minutes said after "N hours": "and a half", "and 15 minutes", "45", "15 mins"."""
    if tokens[j : j + 3] == ["and", "a", "half"]:
        return minutes + 30, j + 3
    k = j + 1 if _at(tokens, j) == "and" else j
    extra = _number(_at(tokens, k))
    if extra is None or not 0 < extra < 60 or _at(tokens, k) in ("a", "an"):
        return minutes, j
    if _at(tokens, k + 1) in MINUTE_UNITS:
        return minutes + extra, k + 2
    if k == j and _at(tokens, k + 1) not in HOUR_UNITS:  # "an hour 45", not "2 hours 3 hours"
        return minutes + extra, k + 1
    # "an hour and 45", "an hour and 40": minutes as they are spoken (a round number); "2 hours
    # and 3 kids", "an hour and 10 year olds" are no length
    if extra % 5 == 0 and extra >= 10 and _at(tokens, k + 1) not in HOUR_UNITS | _COUNTED:
        return minutes + extra, k + 1
    return minutes, j


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def _at(tokens: Sequence[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""


def too_long_after(tokens: Sequence[str], at: int) -> int | None:
    """The end of "is (a little / way too) long" after a length at ``at``, or None:
    "130 minutes *is a little long*" asks for less than that."""
    j = at + (at < len(tokens) and tokens[at] in ("is", "s", "was", "are"))
    while j < len(tokens) and tokens[j] in _SOFTENERS:
        j += 1
    return j + 1 if j > at and j < len(tokens) and tokens[j] in ("long", "much", "lot") else None


_SOFTENERS = frozenset("a little bit too way kinda kind of rather quite pretty very so".split())
