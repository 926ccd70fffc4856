"""From entity hits to constraints: the polarity each gets from the negation scope, values
joined by "or" sharing one constraint, the tastes of different viewers made one any-of wish
(``chatbot.viewers``), lists of years made one range, and what a correction
within the utterance retracts. Pure; no IO.

A hit is ``(start, end, constraint)`` over the utterance's tokens; a constraint carrying
``"_fixed": True`` already has its final polarity ("nothing above PG-13" read as G, PG or
PG-13). Example::

    tokens = "no comedy or horror".split()
    constraints([(1, 2, include("genre", "comedy")), (3, 4, include("genre", "horror"))],
                tokens, negation_mask(tokens))
    # [{"slot": "genre", "values": ["comedy", "horror"], "exclude": True}]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chatbot.constraints import same_wish
from chatbot.constraints import years as year_constraint
from chatbot.cues import BOUNDARY, joined_by_or, names_a_date
from chatbot.viewers import shared, viewer_of, viewer_starts

# "but he shouldn't direct it", "but not directed by him", "directed but didn't star in"
_ANAPHORA = re.compile(r"\b(?:he|she|him|her|but)\b.{0,20}?\b(?:not|never)\b.{0,12}?\b"
                       r"(?P<what>act(?:s|ed|ing)?|star(?:s|red|ring)?|appear(?:s|ed|ing)?"
                       r"|be in it|be in the|play(?:s|ed|ing)?|in it|in the cast|on screen"
                       r"|direct(?:s|ed|ing)?|(?:be )?the director|in(?= ,|$))\b")
_DENIED_PRONOUN = re.compile(r"\b(?:not|no|without|skip|minus|except)\s+(?:him|her|them|that guy)\b")
_FORGOTTEN = re.compile(r"\b(?:forget|scratch|never\s+mind|nevermind|nvm|ignore|drop)\s+(?:about\s+)?"
                        r"(?:(him|her|that\s+guy|that\s+actor|that\s+actress|that\s+director)|"
                        r"that\s+one|that|what\s+i\s+said)\b")
_RANGE_JOINS = frozenset(("and", "or", BOUNDARY, "the", "either", "maybe", "perhaps", "to"))


def self_corrected(hits: list[tuple[int, int, dict]], corrected_at: int | list[int] | None,
                   negated: Sequence[bool] = ()) -> tuple[list[tuple[int, int, dict]], list[dict]]:
    """"a comedy, wait no, a drama": a slot named on both sides of a correction cue keeps
    what follows it; what precedes it is retracted. With several cues each applies in turn,
    so the last one said wins ("comedy. wait no, drama. actually comedy is fine"). A refusal
    before the cue stays one ("I hate horror, I'd rather a comedy": no horror, a comedy)."""
    cues = [] if corrected_at is None else [corrected_at] if isinstance(corrected_at, int) else corrected_at
    retracted: list[dict] = []
    for cue in cues:
        later = {h[2]["slot"] for h in hits if h[0] > cue}
        gone = [h for h in hits if h[0] < cue and h[2]["slot"] in later
                and not (h[0] < len(negated) and negated[h[0]])]
        retracted += [h[2] for h in gone if not any(same_wish(h[2], r) for r in retracted)]
        hits = [h for h in hits if not any(h is g for g in gone)]
    return hits, retracted


def constraints(hits: list[tuple[int, int, dict]], tokens: list[str],
                 negated: list[bool]) -> list[dict]:
    """One constraint per entity, exclusions marked; entities joined by "or" share one. An
    exclusion of a value also asked for ("horror, but not a slasher": both read as horror)
    is a finer wish than the catalogue can tell, so it is dropped."""
    constraints: list[dict] = []
    holders: list[str] = []  # who holds each wish ("my wife likes thrillers": the wife)
    starts = viewer_starts(tokens)
    previous: tuple[int, dict] | None = None
    for start, end, constraint in _merge_years(hits, tokens):
        fixed = constraint.pop("_fixed", False)
        constraint = dict(constraint, exclude=constraint["exclude"] if fixed else negated[start])
        if (previous is not None and "range" not in constraint
                and previous[1]["slot"] == constraint["slot"]
                and previous[1]["exclude"] == constraint["exclude"]
                and joined_by_or(tokens, previous[0], start)):
            previous[1]["values"] += [v for v in constraint["values"]
                                      if v not in previous[1]["values"]]
        elif not any(c == constraint for c in constraints):
            constraints.append(constraint)
            holders.append(viewer_of(tokens, start, starts))
        previous = (end, constraints[-1])
    constraints = shared(constraints, holders)
    asked = {(c["slot"], v) for c in constraints if not c["exclude"] for v in c.get("values", ())}
    return fold_ranges([c for c in constraints if not (c["exclude"] and "range" not in c
                                                       and {(c["slot"], v) for v in c["values"]} <= asked)])


def fold_ranges(constraints: list[dict]) -> list[dict]:
    """Year or runtime ranges said in one utterance, made one wish where they can be: "after
    1990 and before 2000" (two open ends) is 1991-1999; "a long one, nothing over three hours"
    trims the long range at 180 minutes; "the 90s, nothing too old" drops the exclusion the
    90s already meet; an exclusion that swallows the range asked for wins if said later
    ("recent, but not too recent"). An exclusion inside the range ("the 90s but not 1995")
    stays."""
    folded: list[dict] = []
    for c in constraints:
        pending = [c]
        while pending:
            new = pending.pop()
            found = _fold_with_earlier(folded, new)
            if found is None:
                folded.append(new)
                continue
            earlier, one = found
            folded = [f for f in folded if f is not earlier]
            pending.append(one)  # the wish the two came to may fold with another earlier one
    return folded


def _fold_with_earlier(folded: list[dict], new: dict) -> tuple[dict, dict] | None:
    """The first wish of ``folded`` that ``new`` (a range) folds with, and the one wish the two
    come to; None if it folds with none."""
    if "range" not in new:
        return None
    for earlier in folded:
        if (earlier["slot"] == new["slot"] and "range" in earlier
                and (not earlier["exclude"] or not new["exclude"])):
            one = _fold_two(earlier, new)
            if one is not None:
                return earlier, one
    return None


def _fold_two(first: dict, second: dict) -> dict | None:
    """The one wish ``first`` and ``second`` (same range slot) come to, or None to keep both as
    they are."""
    if first["exclude"] == second["exclude"]:  # two wishes for ranges: both must hold
        low, high = _intersection(first["range"], second["range"])
        if None not in first["range"] and None not in second["range"]:
            return None  # "the 80s, the 90s": the last said (the policy's rule)
        return dict(first, range=[low, high]) if _valid(low, high) else None
    inside, out = (first, second) if second["exclude"] else (second, first)
    (a, b), (x, y) = inside["range"], out["range"]
    if not _overlap((a, b), (x, y)):
        return inside  # "90s, nothing too old": the exclusion says nothing more
    keeps_low = x is not None and (a is None or x > a)
    keeps_high = y is not None and (b is None or y < b)
    if keeps_low and keeps_high:
        return None  # "the 90s but not 1995": a hole in the range
    if keeps_low:
        return dict(inside, range=[a, x - 1])
    if keeps_high:
        return dict(inside, range=[y + 1, b])
    return second  # the exclusion covers the whole range: the later said wins


def _intersection(one: list, two: list) -> tuple[int | None, int | None]:
    lows = [v for v in (one[0], two[0]) if v is not None]
    highs = [v for v in (one[1], two[1]) if v is not None]
    return (max(lows) if lows else None), (min(highs) if highs else None)


def _overlap(one: tuple, two: tuple) -> bool:
    low, high = _intersection(list(one), list(two))
    return low is None or high is None or low <= high


def _valid(low: int | None, high: int | None) -> bool:
    return (low, high) != (None, None) and (low is None or high is None or low <= high)


def _merge_years(hits: list[tuple[int, int, dict]], tokens: list[str]
                 ) -> list[tuple[int, int, dict]]:
    """"the 70s or 80s", "the seventies and eighties": one range; "the 60s or 80s": the
    range from the first to the last, less the years between (an exclusion)."""
    merged: list[tuple[int, int, dict]] = []
    for hit in hits:
        last = merged[-1] if merged else None
        if (last is None or hit[2]["slot"] != "year" or last[2]["slot"] != "year"
                or None in hit[2]["range"] or None in last[2]["range"] or hit[2].get("relative")
                or not set(tokens[last[1] : hit[0]]) <= _RANGE_JOINS
                or not {"or", "and"} & set(tokens[last[1] : hit[0]])):
            merged.append(hit)
            continue
        (a, b), (c, d) = sorted([last[2]["range"], hit[2]["range"]])
        merged[-1] = (last[0], hit[1], year_constraint(a, max(b, d)))
        if c > b + 1:
            merged.append((hit[0], hit[1], dict(year_constraint(b + 1, c - 1, excluded=True),
                                                _fixed=True)))
    return merged


def legacy_keys(constraints: list[dict]) -> dict[str, Any]:
    """``genres`` / ``negated_genres`` / ``mpaa`` as before constraints existed."""
    def values(slot: str, excluded: bool) -> list[str]:
        return [v for c in constraints if c["slot"] == slot and c["exclude"] == excluded
                for v in c["values"]]

    ratings = values("mpaa", False)
    return {"genres": list(dict.fromkeys(values("genre", False))),
            "negated_genres": list(dict.fromkeys(values("genre", True))),
            "mpaa": ratings[0] if ratings else None}


_SWAP_VERBS = frozenset("swap replace switch trade exchange change substitute".split())
_SWAP_TO = frozenset("for with to into by".split())


def swapped(hits: list[tuple[int, int, dict]], tokens: list[str]
            ) -> tuple[list[tuple[int, int, dict]], list[dict]]:
    """"swap documentary for comedy", "replace Tom Cruise with Tom Hanks": the wish named
    between the verb and "for"/"with" is retracted, the one after it is the new one."""
    span = swap_span(tokens)
    if span is None:
        return hits, []
    verb, to = span
    old = [h for h in hits if verb < h[0] < to]
    new_slots = {h[2]["slot"] for h in hits if h[0] > to}
    gone = [h for h in old if h[2]["slot"] in new_slots]
    return [h for h in hits if h not in gone], [h[2] for h in gone]


def swap_span(tokens: list[str]) -> tuple[int, int] | None:
    """``(verb, preposition)`` positions of "swap X for Y", or None."""
    verb = next((i for i, t in enumerate(tokens) if t in _SWAP_VERBS), None)
    if verb is None:
        return None
    to = next((i for i in range(verb + 2, len(tokens)) if tokens[i] in _SWAP_TO), None)
    return None if to is None else (verb, to)


def anaphora(tokens: list[str], people: list[dict]) -> list[dict]:
    """"a drama directed by Clint Eastwood but he shouldn't be in it": the last person named,
    excluded as an actor (or as director: "but he shouldn't direct it"). "... Adam Sandler
    movies, so maybe not him": the one named is denied (marked in ``people``)."""
    if not people:
        return []
    text = " ".join(tokens)
    found = _ANAPHORA.search(text)
    denied = denied_pronoun_at(tokens)
    before = [p for p in people if denied is not None and p.get("at", 0) < denied]
    if not found and before:  # "... Adam Sandler movies, so maybe not him"
        for person in people:  # the one named is the one denied, not also asked for
            if person["group"] == before[-1]["group"]:
                person.update(negated=True, sure=True)
        return []
    last = people[-1]
    if not found:
        return []
    role = "director" if "direct" in found["what"] else "actor"
    if role not in last["roles"] or (last.get("negated") and last.get("cue") == role):
        return []  # "but not directed by Michael Bay": that exclusion is already read
    return [dict(last, cue=role, negated=True, group=len(people), sure=True)]


def denied_pronoun_at(tokens: list[str]) -> int | None:
    """The token index of "him"/"her" in "not him", "maybe not her", or None."""
    found = _DENIED_PRONOUN.search(" ".join(tokens))
    return None if found is None else " ".join(tokens).count(" ", 0, found.end())


def forgotten(tokens: list[str]) -> str | None:
    """"forget that", "never mind him": "person" when a person is meant (him, her, that guy),
    "said" when what was said last is ("that", "scratch that"), else None."""
    found = _FORGOTTEN.search(" ".join(tokens))
    return None if found is None else "person" if found.group(1) else "said"


_SOMEONE_ELSE = re.compile(r"\b(?:someone|somebody|anyone|anybody|someone's|somebody's)\s+else\b|"
                           r"\bsome\s*one\s+else\b|\bsomeone\s+different\b|\bsomebody\s+new\b")


def passed_over(people: list[dict], tokens: list[str]) -> None:
    """"Nolan obvs but I've seen all his stuff, so someone else": the people named before
    "someone else" are passed over (left out), not wished for. In place."""
    found = _SOMEONE_ELSE.search(" ".join(tokens))
    if found is None:
        return
    at = " ".join(tokens).count(" ", 0, found.start())
    for person in people:
        if person.get("at", 0) < at:
            person["negated"] = True


def replaced_first(tokens: list[str], at: int | None) -> bool:
    """"drama instead of comedy", "Hanks rather than Cruise": the new value comes first."""
    return at is not None and tuple(tokens[at : at + 2]) in (("instead", "of"), ("rather", "than"))


_DURATION_UNITS = frozenset("hour hours hr hrs minutes minute mins min".split())


def explicit_wins(hits: list[tuple[int, int, dict]], tokens: list[str]
                  ) -> list[tuple[int, int, dict]]:
    """"a shorter one, under 2 hours": a bound said in numbers outranks "shorter" (than the
    film on the table) in the same utterance; likewise for "newer" / "older" and years or
    decades ("older, from the 70s": the 70s; the comparative only says which way to go)."""
    plain = {c["slot"] for s, e, c in hits if "range" in c and not c.get("relative")
             and any(t.isdigit() or t in _DURATION_UNITS for t in tokens[s:e])
             or c["slot"] == "year" and not c.get("relative") and names_a_date(tokens[s:e])}
    # "at least 90 minutes but not too long": a short film ("short") is a bound of its own
    hits = [h for h in hits if not (h[2].get("relative") not in (None, "short") and h[2]["slot"] in plain)]
    return vague_years_yield(hits, tokens)


def vague_years_yield(hits: list[tuple[int, int, dict]], tokens: list[str]
                      ) -> list[tuple[int, int, dict]]:
    """"NEW films, 2000 or later": a year bound said in digits ("2000 or later", "before
    1980") outranks a vague one said in words ("new", "old", "recent") in the same utterance."""
    def said_in_digits(start: int, end: int) -> bool:
        return any(any(ch.isdigit() for ch in t) for t in tokens[start:end])

    bounds = [h for h in hits if h[2]["slot"] == "year" and None in h[2].get("range", (0, 0))
              and said_in_digits(h[0], h[1])]
    if not bounds:
        return hits
    return [h for h in hits if h[2]["slot"] != "year" or said_in_digits(h[0], h[1])]


def bound_corrections(constraints: list[dict], correcting: bool) -> tuple[list[dict], list[dict]]:
    """"I said 2000 or later, not 2010": in a correction naming a new bound, a year or length
    denied beside it is the old bound taken back, not a year to ban. Returns the constraints
    kept and those taken back (as wishes, for the reply)."""
    if not correcting:
        return constraints, []
    wished = {c["slot"] for c in constraints if "range" in c and not c["exclude"]}
    back = [c for c in constraints if "range" in c and c["exclude"] and c["slot"] in wished]
    return ([c for c in constraints if c not in back],
            [dict(c, exclude=False) for c in back])
