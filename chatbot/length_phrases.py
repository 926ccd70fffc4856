"""Length phrases in the user's words, as runtime ranges in minutes. Pure; no IO.

"something short" (up to ``SHORT_MINUTES``), "not too long" (the same), "under 2 hours" (up to
119), "at least 90 minutes", "an hour 45 max" (up to 105), "a long epic" (``LONG_MINUTES`` or
more), "could it be shorter?" (short; made relative to the film shown by the policy). The
amounts themselves are read by ``chatbot.durations``. Example::

    runtime_ranges("something under 2 hours".split())    # [(1, 4, None, 119)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.durations import minutes_at, too_long_after

BOUNDARY = ","
SHORT_MINUTES = 100  # "something short": at most this long
LONG_MINUTES = 150  # "a long epic": at least this long
_AT_MOST = ("under", "less than", "shorter than", "at most", "max", "maximum", "no more than",
            "not more than", "up to", "within", "no longer than", "below", "not longer than",
            "nothing longer than", "nothing over", "not over", "not exceeding", "nothing past",
            "not past",
            # "she falls asleep after like an hour and a half": what they can sit through
            "after")
_AT_LEAST = ("over", "more than", "longer than", "at least", "minimum", "above", "past")
_BOUND_FIRST_WORDS = frozenset(p.split()[0] for p in (*_AT_MOST, *_AT_LEAST))
# bounds said after the length: "1h45 max", "two hours tops", "90 minutes or more"
_AT_MOST_AFTER = ("max", "maximum", "tops", "at most", "or less", "or shorter", "or under",
                  "at the most", "or so max")
_AT_LEAST_AFTER = ("minimum", "at least", "or more", "or longer", "plus", "or over")
_BUDGET = frozenset("only just maybe say max".split())  # "just 90 min": at most that
# a length "and a bit" is some minutes more than it, as people mean it ("an hour and a bit")
AND_A_BIT = (10, 20)
_AND_A_BIT = frozenset((("and", "a", "bit"), ("and", "a", "little"), ("and", "a", "tad")))
# "a bit over two hours" is a few minutes to a quarter hour or so past it, never any length past it
SLIGHTLY = (5, 20)
_A_BIT = frozenset((("a", "bit"), ("a", "little"), ("a", "tad"), ("little", "bit")))
# "about 90 minutes", "around two hours", "like 90 min", "90 minutes or so": a range around it
_APPROX = frozenset("about around roughly approximately approx circa ish like".split())
_TOO_LONG = frozenset("long lengthy shorter overlong".split())
_HEDGES = _BUDGET | _APPROX  # "not longer than like an hour and a half": the bound holds


def approx_margin(value: int) -> int:
    """How far either side of an approximate length a film may be: 10 minutes up to two
    hours, 15 beyond ("about 90 minutes": 80 to 100; "around 2.5 hours": 135 to 165)."""
    return 10 if value <= 120 else 15
_SHORT = frozenset("short shorter quick brief".split())
_LONG = frozenset("long longer lengthy epic".split())
# a comparative that is its clause's whole wish: "seen it in 2011, longer please"
_ALONE_AFTER = frozenset(["", ",", "please", "pls", "plz", "maybe", "this", "now", "tho", "though", "one", "ones"])
_FILM_AFTER = frozenset("""one ones movie movies film films flick flicks epic epics comedy
    comedies drama dramas thriller thrillers horror western westerns documentary romance
    cartoon animation""".split())  # "a short comedy"
# "a really long week", "a short night": a length word on a stretch of the user's own time
_TIME_SPANS = frozenset("day days week weeks weekend month months year years night nights "
                        "shift shifts time while morning evening trip drive flight".split())


def _next(tokens: Sequence[str], i: int) -> str:
    return tokens[i + 1] if i + 1 < len(tokens) else ""


def runtime_ranges(tokens: Sequence[str]) -> list[tuple[int, int, int | None, int | None]]:
    """Length phrases: ``(start, end, first, last)`` in minutes, inclusive (None: open).
    "something short" (up to ``SHORT_MINUTES``), "not too long" (the same), "under 2 hours"
    (up to 119), "at least 90 minutes", "an hour 45 max" (up to 105), "a long epic"
    (``LONG_MINUTES`` or more). Lengths are read by ``chatbot.durations``."""
    found: list[tuple[int, int, int | None, int | None]] = []
    for i in range(len(tokens)):
        if found and i < found[-1][1]:
            continue
        hit = _duration_at(tokens, i) or _bound_after_at(tokens, i) or _length_word_at(tokens, i)
        if hit is not None and _next(tokens, hit[1] - 1) == "long":  # "an hour and a bit long":
            hit = (hit[0], hit[1] + 1, hit[2], hit[3])  # the length's unit, no wish for long films
        if hit is not None:
            found.append(hit)
    return found


def _duration_at(tokens: Sequence[str], i: int) -> tuple[int, int, int | None, int | None] | None:
    """"under 2 hours", "less than 90 minutes", "at least an hour and a half"."""
    if tokens[i] not in _BOUND_FIRST_WORDS:
        return None
    for phrases, at_most in ((_AT_MOST, True), (_AT_LEAST, False)):
        for phrase in phrases:
            words = phrase.split()
            if tuple(tokens[i : i + len(words)]) != tuple(words):
                continue
            start = i + len(words)
            while start < len(tokens) and tokens[start] in _HEDGES:
                start += 1
            amount = minutes_at(tokens, start)
            if amount is None:
                continue
            value, end = amount
            strict = phrase in ("under", "less than", "shorter than", "below", "over",
                                "more than", "longer than", "above", "past")
            if _slightly_before(tokens, i) and strict:  # "a bit over 2 hours": 125 to 140
                return (i, end, value - SLIGHTLY[1], value - SLIGHTLY[0]) if at_most else (
                    i, end, value + SLIGHTLY[0], value + SLIGHTLY[1])
            if at_most:
                return i, end, None, value - 1 if strict else value
            return i, end, value + 1 if strict else value, None
    return None


def _bound_after_at(tokens: Sequence[str], i: int
                    ) -> tuple[int, int, int | None, int | None] | None:
    """"1h45 max", "two hours tops", "90 minutes or more": the bound after the length."""
    amount = minutes_at(tokens, i)
    if amount is None:
        return None
    value, end = amount
    for phrases, at_most in ((_AT_MOST_AFTER, True), (_AT_LEAST_AFTER, False)):
        for phrase in phrases:
            words = phrase.split()
            if list(tokens[end : end + len(words)]) == words:
                return (i, end + len(words), None, value) if at_most else (i, end + len(words), value, None)
    if tuple(tokens[end : end + 3]) in _AND_A_BIT:  # "an hour and a bit": 70 to 80, not 60
        return i, end + 3, value + AND_A_BIT[0], value + AND_A_BIT[1]
    too_long = too_long_after(tokens, end)  # "130 minutes is a little long": shorter than that
    if too_long:
        return i, too_long, None, value - 1
    after = 2 if tokens[end : end + 2] == ["or", "so"] else int(tokens[end : end + 1] == ["ish"])
    # "like 90 min" is about 90; after a length complaint ("that's as long. like 85 min") at most
    budget = i and tokens[i - 1] == "like" and bool(_TOO_LONG & set(tokens[:i])) or _time_had(tokens, i)
    if (i and tokens[i - 1] in _APPROX or after) and not budget:
        margin = approx_margin(value)  # "about 90 minutes", "2 hours or so", "90 mins ish"
        return i, end + after, value - margin, value + margin
    alone = (i == 0 or tokens[i - 1] == BOUNDARY) and (end == len(tokens) or tokens[end] == BOUNDARY) or (
        _next(tokens, end - 1) == "long" and _next(tokens, end) in ("", BOUNDARY, "please", "pls", "max"))
    # ("something two hours long": the length asked for, as said alone)
    if alone and i >= 2 and tokens[i - 2] in _TOO_LONG | _LONG:  # "is very long, 138 minutes":
        return i, end, None, value - 1  # the film's own length, complained of: shorter than it
    if alone or budget or (i and tokens[i - 1] in _BUDGET):  # "shorter please, 90 minutes": at most that
        return i, end, None, value
    return None


def _time_had(tokens: Sequence[str], i: int) -> bool:
    """The user's own time before the length ("i only have like an hour and a half", "we've
    got about 2 hours"): what they can sit through, so at most that, never a range around it."""
    j = i - 1
    while j >= 0 and tokens[j] in _HEDGES:
        j -= 1
    return j >= 1 and tokens[j] in _HAVING and bool(_HOLDERS & set(tokens[max(0, j - 3) : j]))


_HAVING = frozenset("have got".split())  # "i had 2 hours of sleep" is no time to spare
_HOLDERS = frozenset("i we ive weve id wed only just".split())


def _slightly_before(tokens: Sequence[str], i: int) -> bool:
    """"a bit", "a little", "just", "slightly" said right before "over" / "under"."""
    return tokens[i - 1 : i] in (["just"], ["slightly"]) or (i >= 2 and tuple(tokens[i - 2 : i]) in _A_BIT)


_COPULAS = frozenset("is its s was it".split())
_INTENSIFIERS = frozenset("very really quite so pretty super kinda rather bit a".split())


def _describes_film(tokens: Sequence[str], i: int) -> bool:
    """"(it) is very long", "it's really short": a length word said of the film after a copula."""
    j = i - 1
    while j >= 0 and tokens[j] in _INTENSIFIERS:
        j -= 1
    return j < i - 1 and j >= 0 and tokens[j] in _COPULAS and _next(tokens, i) in ("", BOUNDARY)


def _length_word_at(tokens: Sequence[str], i: int
                    ) -> tuple[int, int, int | None, int | None] | None:
    """"something short", "not too long" (short), "a long epic" (long)."""
    token = tokens[i]
    if token in ("more", "less") and _next(tokens, i) in ("short", "long") and _next(tokens, i + 1) in _ALONE_AFTER:
        # "something more short?", "a bit less long": a comparative said in two words
        shorter = (token == "more") == (_next(tokens, i) == "short")
        return (i, i + 2, None, SHORT_MINUTES) if shorter else (i, i + 2, LONG_MINUTES, None)
    if token in _SHORT | _LONG and _describes_film(tokens, i):
        return None  # "is very long, 138 minutes": said of the film shown, no wish for long ones
    if token == "not" and _next(tokens, i) in _LONG | {"too", "very", "that", "overly", "so"}:
        j = i + 1 if _next(tokens, i) in _LONG else i + 2
        if j < len(tokens) and tokens[j] in _LONG:
            return i, j + 1, None, SHORT_MINUTES
    before = tokens[i - 1] if i else ""
    if token == "epic" and before in ("a", "an", "some", "something"):  # "an epic"
        return i, i + 1, LONG_MINUTES, None
    film_like = _next(tokens, i) in _FILM_AFTER or before in (
        "something", "anything", "really", "very", "bit", "nice", "quite", "much", "way", "lot", "little",
        "slightly", "somewhat", "even") or (
        token in ("shorter", "longer") and before in ("but", "and", "only", "just", "maybe",
                                                      "be", "it", "one", "any", "said")) or (  # "could it be shorter?"
        token in ("shorter", "longer") and before in ("", ",") and _next(tokens, i) in _ALONE_AFTER)  # "longer please"
    if _next(tokens, i) in _TIME_SPANS:
        return None
    if token in _LONG and before in _HEDGED and _next(tokens, i) not in _FILM_AFTER and not set(
            tokens[max(0, i - 3) : i]) & ({"something", "anything", "want", "like"} | _COPULAS):
        return i - 1, i + 1, None, SHORT_MINUTES  # "hmm a bit long", "kinda long": too long, no long wish
    if token in _SHORT and film_like:
        return i, i + 1, None, SHORT_MINUTES
    if token in _LONG and film_like and before != "too":
        return i, i + 1, LONG_MINUTES, None
    return None


_HEDGED = frozenset("bit little kinda kindof somewhat slightly abit".split())  # "a bit long": a complaint
_BOUND_NEGATIONS = frozenset("not no nothing never".split())


def own_negation(span: Sequence[str], wish: dict[str, Any]) -> dict[str, Any]:
    """"not star wars and not longer than 2 hrs": a bound whose "not" is its own word ("not
    longer than", "nothing over", "not too long") is the bound, whatever refusal it follows;
    so is a length said too long ("three hours is way too much": shorter than that), which
    already refuses what lies past it (``"_fixed"``: its polarity is final, ``chatbot.spans``).
    ``span`` is the phrase's words."""
    said_too_long = any(too_long_after(span, at) == len(span) for at in range(1, len(span)))
    fixed = bool(span) and (span[0] in _BOUND_NEGATIONS or said_too_long)
    return dict(wish, _fixed=True) if fixed else wish
