"""Two eras joined by "to": "late 90s to early 2000s" is one span, 1997-2003. Pure; no IO.

Each era is read on its own (late 90s: 1997-1999; early 2000s: 2000-2003); said with "to",
"through", "till" or "until" between them they are the ends of one span, never two wishes of
which the later replaces the earlier. Example::

    joined_eras([{"slot": "year", "range": [1997, 1999], "exclude": False},
                 {"slot": "year", "range": [2000, 2003], "exclude": False}], ["late", "90s", "to", ...])
    # [{'slot': 'year', 'range': [1997, 2003], 'exclude': False}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_SPAN_WORDS = frozenset("to through thru till until".split())


def joined_eras(constraints: list[dict[str, Any]], tokens: Sequence[str]) -> list[dict[str, Any]]:
    """``constraints`` with two year wishes said as the ends of one span made that span."""
    eras = [c for c in constraints if c["slot"] == "year" and not c.get("exclude")
            and c.get("range") and None not in c["range"]]
    if len(eras) != 2 or not _SPAN_WORDS & set(tokens):
        return constraints
    first, last = sorted(eras, key=lambda c: c["range"][0])
    if first["range"][1] > last["range"][0]:  # overlapping: not two ends of one span
        return constraints
    span = dict(first, range=[first["range"][0], last["range"][1]])
    return [span if c is eras[0] else c for c in constraints if c is not eras[1]]
