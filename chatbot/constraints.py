"""Constraints: what a user wants of a film, as JSON data. Pure; no IO.

A **constraint** is one wish, a JSON object of one of two shapes::

    {"slot": "genre" | "actor" | "director" | "mpaa" | "title", "values": [str, ...], "exclude": bool}
    {"slot": "year" | "runtime", "range": [first, last], "exclude": bool}

- A *value* constraint with ``exclude`` false holds for a film that has **at least one** of
  ``values`` (one value: has it; ``["comedy", "horror"]`` is "comedy or horror"); with
  ``exclude`` true it holds for a film that has **none** of them ("no dramas"). Genres are
  canonical lowercase names (``"sci-fi"``), people are catalogue names, ratings are MPAA
  labels (``"PG-13"``); a *title* value is title words (``"pirates"``): a film has it when
  those words are in its title (``chatbot.titles.normalise_title``), so a franchise word
  names the whole franchise.
- A *year* constraint holds for a film released from ``first`` to ``last``, both integer years
  and **inclusive**; ``None`` leaves that end open (``[2011, None]`` is "after 2010"). A
  *runtime* constraint is the same in whole minutes (``[None, 100]`` is "something short").
  With ``exclude`` true either holds for a film outside the range. A film whose year or
  runtime the catalogue does not know meets no range.

A list of constraints holds when every one holds (they are ANDed), so "with Tom Hanks and Meg
Ryan" is two actor constraints and "comedy or horror" is one genre constraint with two values.
How a new wish combines with earlier ones is the policy's to decide (``chatbot.policy``).
Example::

    wishes = [{"slot": "genre", "values": ["comedy"], "exclude": False},
              {"slot": "year", "range": [1980, 1989], "exclude": False}]
    holds(wishes[1], {"year": 1984, ...})     # True
    check(wishes) == wishes                  # well-formed; InvalidRequest otherwise
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from chatbot.errors import InvalidRequest
from chatbot.franchises import franchise_titles
from chatbot.titles import normalise_title

VALUE_SLOTS = ("genre", "actor", "director", "mpaa", "title")
RANGE_SLOTS = ("year", "runtime", "critics", "votes")  # critics: % of reviews positive
SLOTS = (*VALUE_SLOTS, *RANGE_SLOTS)
MAX_VALUES = 50
_FILM_FIELD = {"genre": "genres", "actor": "cast", "director": "directors", "year": "year",
               "runtime": "runtime_min", "critics": "critics_meter", "votes": "votes"}

Constraint = dict[str, Any]


def include(slot: str, *values: str) -> Constraint:
    """``include("genre", "comedy")`` -> ``{"slot": "genre", "values": ["comedy"], "exclude": False}``."""
    return {"slot": slot, "values": list(values), "exclude": False}


def exclude(slot: str, *values: str) -> Constraint:
    """The film must have none of ``values``."""
    return {"slot": slot, "values": list(values), "exclude": True}


def years(first: int | None, last: int | None, *, excluded: bool = False) -> Constraint:
    """Released from ``first`` to ``last`` (inclusive; None = open; kept inside ``RANGE_LIMITS``)."""
    return {"slot": "year", "range": list(within_limits(first, last)), "exclude": excluded}


def minutes(first: int | None, last: int | None, *, excluded: bool = False) -> Constraint:
    """A runtime from ``first`` to ``last`` minutes (inclusive; None = open; kept inside
    ``RANGE_LIMITS``: "about 5 minutes", 5 +- 10, is ``[None, 15]``, never ``[-5, 15]``)."""
    return {"slot": "runtime", "range": list(within_limits(first, last)), "exclude": excluded}


RANGE_LIMITS = (1, 9_999)  # what a range's bound may be (years, minutes), as `_check_range` takes it


def within_limits(first: int | None, last: int | None) -> tuple[int | None, int | None]:
    """A range made from the user's words kept inside ``RANGE_LIMITS``: a bound arithmetic took
    below the first ("about 5 minutes" +- 10) opens that end, one beyond the last does too; an
    end left below the first is the first (nothing that short: no film matches, said as such).
    ``(-5, 15)`` -> ``(None, 15)``; ``(None, 0)`` -> ``(None, 1)``; ``(None, None)`` stays (no range)."""
    low, high = RANGE_LIMITS
    said = (first, last) != (None, None)
    if first is not None and not low <= first <= high:
        first = None if first < low else high
    if last is not None and not low <= last <= high:
        last = low if last < low else None
    if said and first is None and last is None:  # "over -5 minutes" (never said, but never a 400)
        return low, None
    return first, last


def holds(constraint: Mapping[str, Any], film: Mapping[str, Any]) -> bool:
    """Whether ``film`` (a ``Movie.to_dict()``) meets ``constraint``."""
    slot = constraint["slot"]
    if slot in RANGE_SLOTS:
        value = film.get(_FILM_FIELD[slot])
        first, last = constraint["range"]
        inside = value is not None and (first is None or value >= first) and (
            last is None or value <= last)
        return inside != bool(constraint.get("exclude"))
    if slot == "title":
        hit = any(has_title_words(str(film.get("title") or ""), v) for v in constraint["values"])
        return hit != bool(constraint.get("exclude"))
    have = {film.get("mpaa")} if slot == "mpaa" else set(film.get(_FILM_FIELD[slot]) or ())
    hit = any(v in have for v in constraint["values"])
    return hit != bool(constraint.get("exclude"))


def has_title_words(title: str, words: str) -> bool:
    """``words`` ("pirates") are words of ``title`` ("Pirates of the Caribbean"), as keys; a
    franchise's words also name its films without them ("batman": The Dark Knight)."""
    key = f" {normalise_title(title)} "
    return any(f" {said} " in key for said in franchise_titles(normalise_title(words)))


def same_wish(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal as wishes: same slot, polarity and values (in any order) or range."""
    if a.get("slot") != b.get("slot") or bool(a.get("exclude")) != bool(b.get("exclude")):
        return False
    if a.get("slot") in RANGE_SLOTS:
        return list(a.get("range") or ()) == list(b.get("range") or ())
    return sorted(a.get("values") or ()) == sorted(b.get("values") or ())


def check(constraints: object, where: str = "constraints") -> list[Constraint]:
    """``constraints`` as a clean list, or ``InvalidRequest`` naming the path, value and fix.

    Also accepts the older dict form ``{"genre": [...], "actor": "X", "director": "Y",
    "mpaa": "R"}`` (each genre and the others required) and converts it.
    """
    if type(constraints) is not list and isinstance(constraints, Mapping):
        return from_slots(constraints, where)
    if not isinstance(constraints, list):
        raise InvalidRequest(f"{where}: expected a list of constraints, got {type(constraints).__name__}")
    return [_check_one(c, f"{where}[{i}]") for i, c in enumerate(constraints)]


def from_slots(slots: Mapping[str, Any], where: str = "constraints") -> list[Constraint]:
    """``{"genre": ["comedy"], "actor": "X"}`` -> ``[include("genre", "comedy"), include("actor", "X")]``."""
    found: list[Constraint] = []
    for slot, value in slots.items():
        if slot not in VALUE_SLOTS:
            raise InvalidRequest(f"{where}.{slot}: not one of {', '.join(VALUE_SLOTS)}")
        if value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        found += [_check_one(include(slot, v), f"{where}.{slot}") for v in values]
    return found


def _check_one(c: object, where: str) -> Constraint:
    if type(c) is not dict and not isinstance(c, Mapping):  # (an ABC check costs ~50 us)
        raise InvalidRequest(f"{where}: expected an object, got {type(c).__name__}")
    slot = c.get("slot")
    if slot not in SLOTS:
        raise InvalidRequest(f"{where}.slot: {slot!r} is not one of {', '.join(SLOTS)}")
    excluded = c.get("exclude", False)
    if not isinstance(excluded, bool):
        raise InvalidRequest(f"{where}.exclude: {excluded!r} must be true or false")
    if slot in RANGE_SLOTS:
        first, last = _check_range(c.get("range"), f"{where}.range")
        return {"slot": slot, "range": [first, last], "exclude": excluded}
    values = c.get("values")
    if (not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES
            or not all(isinstance(v, str) and v for v in values)):
        raise InvalidRequest(f"{where}.values: {values!r} must be a list of 1 to {MAX_VALUES} "
                             "non-empty strings")
    return {"slot": slot, "values": list(values), "exclude": excluded}


def _check_range(value: object, where: str) -> tuple[int | None, int | None]:
    ok = isinstance(value, list) and len(value) == 2 and all(
        v is None or (type(v) is int and 0 < v < 10_000) for v in value)
    if not ok or value == [None, None]:
        raise InvalidRequest(f"{where}: {value!r} must be [first, last] (integer years or "
                             "minutes, inclusive; null for an open end, not both)")
    first, last = cast("list[int | None]", value)
    if first is not None and last is not None and first > last:
        raise InvalidRequest(f"{where}: {value!r} runs backwards; write [{last}, {first}]")
    return first, last


def included_values(wishes: Iterable[Mapping[str, Any]], slot: str) -> list[str]:
    """Every value the wishes ask for in ``slot`` (not the exclusions), in order, once each."""
    found: list[str] = []
    for wish in wishes:
        if wish.get("slot") == slot and not wish.get("exclude"):
            found += [v for v in wish.get("values") or () if v not in found]
    return found


def describe_range(first: int | None, last: int | None) -> str:
    """``(1980, 1989)`` -> ``"the 1980s"``; ``(2011, None)`` -> ``"2011 or later"``."""
    if first is not None and last is not None:
        if first == last:
            return str(first)
        if first % 10 == 0 and last == first + 9:
            return f"the {first}s"
        return f"{first} to {last}"
    if first is not None:
        return f"{first} or later"
    return f"{last} or earlier"


def describe_figure(slot: str, first: int | None, last: int | None) -> str:
    """``("critics", 75, None)`` -> ``"films critics liked (75% or more of reviews positive)"``;
    ``("votes", None, 20)`` -> ``"lesser-known films (rated by 20 people or fewer)"``."""
    if slot == "critics":
        return f"films critics liked ({first or 0}% or more of reviews positive)"
    return f"lesser-known films (rated by {last} people or fewer in my data)"


def _approx_width(middle: int) -> int:
    return 20 if middle <= 120 else 30  # twice ``chatbot.length_phrases.approx_margin``


def describe_minutes(first: int | None, last: int | None) -> str:
    """``(None, 100)`` -> ``"100 minutes or shorter"``; ``(90, 120)`` -> ``"90 to 120 minutes"``;
    ``(80, 100)`` -> ``"about 90 minutes (80 to 100 minutes)"`` (as "about 90 minutes" reads)."""
    if first is not None and last is not None:
        middle = (first + last) // 2
        if last - first == _approx_width(middle) and middle % 5 == 0:
            return f"about {middle} minutes ({first} to {last} minutes)"
        return f"{first} to {last} minutes"
    if first is not None:
        return f"{first} minutes or longer"
    return f"{last} minutes or shorter"


def without(wishes: Sequence[Mapping[str, Any]], gone: Iterable[Mapping[str, Any]]) -> list[Constraint]:
    """``wishes`` minus those equal (``same_wish``) to one in ``gone``."""
    gone = list(gone)
    return [dict(w) for w in wishes if not any(same_wish(w, g) for g in gone)]


def clearly_shorter(runtime: int) -> int:
    """The longest film that feels shorter than one of ``runtime`` minutes said to be too long:
    a fifth shorter, to the 5 minutes below, and never over two hours: a minute less is no
    shorter to anyone ("too long" at 165 minutes is not 162; at 96 minutes it is 75)."""
    return max(30, min(SHORTER_CAP_MIN, runtime * 4 // 5 // 5 * 5))


SHORTER_CAP_MIN = 120  # "too long", "shorter": at most two hours, whatever the film shown
# on a "shorter" wish until it is stored: the bound to fall back to (the film's own length less
# one) when nothing clearly shorter meets the other wishes (``chatbot.dialog``)
STRICT_MAX = "strict_max"
