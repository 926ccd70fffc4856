"""Wishes given up by the name of their question: "drop the director requirement", "forget
the years", "never mind the rating". Pure; no IO.

A slot's name inside a removal's scope (``chatbot.scope.removal_mask``) gives up every wish of
that slot (``{"slot": "director", "whole": True}``, read by ``chatbot.wishes.plan_wishes``),
so the search no longer asks for it and the reply says what went. Example::

    tokens = "drop the director requirement".split()
    slots_given_up(tokens, removal_mask(tokens))   # [{'slot': 'director', 'whole': True}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SLOT_NAMES = {
    "director": "director", "directors": "director", "directed": "director",
    "filmmaker": "director", "actor": "actor", "actors": "actor", "actress": "actor",
    "actresses": "actor", "cast": "actor", "star": "actor", "stars": "actor",
    "rating": "mpaa", "ratings": "mpaa", "mpaa": "mpaa", "certificate": "mpaa",
    "genre": "genre", "genres": "genre", "year": "year", "years": "year", "decade": "year",
    "decades": "year", "era": "year", "date": "year", "dates": "year", "length": "runtime",
    "runtime": "runtime", "duration": "runtime"}


def slots_given_up(tokens: Sequence[str], removed: Sequence[bool]) -> list[dict[str, Any]]:
    """The slots whose names a removal gives up, in the order said, each once."""
    slots = [SLOT_NAMES[t] for t, gone in zip(tokens, removed, strict=True) if gone and t in SLOT_NAMES]
    return [{"slot": s, "whole": True} for s in dict.fromkeys(slots)]
