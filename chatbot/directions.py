"""Films proposed after a one-sided year or length wish was set aside follow its direction.

"Something longer" than a 180-minute film is 181 minutes or more; when no film is left that
long, the wish is set aside, but the user still wants long films: the longest left comes
first, never a shorter film than those passed over. Likewise "older" (the oldest left first),
"newer", "shorter".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

_SPANS = {"runtime": (1, 1000), "year": (1850, 2100)}  # where the search for the edge runs


def toward_set_aside(pool: Sequence[int], dropped: Iterable[Mapping[str, Any]],
                     search: Callable[[dict[str, Any]], Sequence[int]]) -> list[int]:
    """The films of ``pool`` furthest in the direction of each one-sided year or length range
    set aside (all of ``pool`` when none was): for ``{"slot": "runtime", "range": [181, None]}``
    set aside, the longest films of the pool, which the ranking then chooses among.
    ``search(constraint)`` gives the ids meeting the wishes kept and ``constraint``; the edge
    is found by halving (about ten searches), never by fetching each film."""
    kept = list(pool)
    for wish in dropped:
        slot, longer = _direction(wish)
        if slot is None or not kept:
            continue
        low, high = _SPANS[slot]
        found: list[int] = []
        while low <= high:  # the furthest bound that some film of the pool still meets
            middle = (low + high) // 2
            bound = [middle, None] if longer else [None, middle]
            ids = set(search({"slot": slot, "range": bound, "exclude": False}))
            meeting = [i for i in kept if i in ids]
            if longer == bool(meeting):  # "more" met: look higher; "less" unmet: look higher
                low = middle + 1
            else:
                high = middle - 1
            if meeting:
                found = meeting if not found or len(meeting) < len(found) else found
        kept = found or kept
    return kept


def _direction(wish: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The wish's slot and True ("more": later, longer) or False ("less") for a one-sided
    range wished for; (None, False) for anything else."""
    slot = str(wish.get("slot"))
    bounds = wish.get("range")
    if slot not in _SPANS or wish.get("exclude") or not isinstance(bounds, list) or len(bounds) != 2:
        return None, False
    low, high = bounds
    if (low is None) == (high is None):  # a two-sided range ("the nineties"): no one direction
        return None, False
    return slot, high is None
