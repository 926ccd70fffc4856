"""Notes of a rating limit that adds nothing: "nothing too scary" says "I'll keep to films
rated PG-13 or below", but with G or PG standing for a child of 9 that bound is not the one
kept, and saying it would give two bounds for one child. Pure; no IO. Example::

    kept_notes([SCARY_NOTE], [{"slot": "mpaa", "values": ["G", "PG"], "exclude": False}], [])
    # []: the child's G or PG stands, said once
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chatbot.lexicon import APPROXIMATIONS


@functools.cache
def _ceilings() -> dict[str, frozenset[str]]:
    """Each mood note that says a rating limit, with the ratings the limit allows."""
    found: dict[str, frozenset[str]] = {}
    for entry in APPROXIMATIONS.values():
        for wishes, note in ((entry.get("constraints"), entry.get("note")),
                             (entry.get("negated"), entry.get("negated_note", entry.get("note")))):
            for wish in wishes or ():
                if wish["slot"] == "mpaa" and not wish["exclude"] and note:
                    found[str(note)] = frozenset(wish["values"])
    return found


def kept_notes(notes: Sequence[str], wishes: Iterable[Mapping[str, Any]],
               said: Iterable[Mapping[str, Any]]) -> list[str]:
    """``notes``, those of a rating limit that a stricter rating ``wishes`` (standing) or
    ``said`` (in the same message, not itself a limit) keeps inside: one said there goes, one
    standing is said instead of the limit's."""
    stricter, now = _bounds(wishes), _bounds(w for w in said if not w.get("ceiling"))
    ceilings = _ceilings()
    kept: list[str] = []
    for note in notes:
        if note in ceilings and any(s <= ceilings[note] for s in now):
            continue  # "my 12 yo, nothing too gory": the "Got it" says the child's bound
        inside = [s for s in stricter if note in ceilings and s <= ceilings[note]]
        if inside:
            bound = min(inside, key=len)
            note = note.replace(_said(ceilings[note]), _said(bound))
        if note not in kept:
            kept.append(note)
    return kept


def _bounds(wishes: Iterable[Mapping[str, Any]]) -> list[frozenset[str]]:
    return [frozenset(w.get("values") or ()) for w in wishes
            if w.get("slot") == "mpaa" and not w.get("exclude") and w.get("values")]


def _said(values: frozenset[str]) -> str:
    """How a mood note says the ratings it keeps to: "PG-13 or below", "G or PG"."""
    order = [r for r in _ORDER if r in values]
    if order == _ORDER[: len(order)] and len(order) > 2:
        return f"{order[-1]} or below"
    return order[0] if len(order) == 1 else f"{', '.join(order[:-1])} or {order[-1]}"


_ORDER = ["G", "PG", "PG-13", "R", "NC-17"]
