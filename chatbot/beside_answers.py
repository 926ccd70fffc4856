"""Wishes said beside an answer to "Have you watched it?" / "Do you like it?" / "Another
one?": "seen it, meh. nothing from the 80s", "hmm not a fan of war films tho". A refusal of a
genre, period, rating or person is never a circumstance of having watched the film ("yes, in
the 90s" is one), so it is a wish, and at "another one?" a yes with that wish. Pure. Example::

    refuses_beside({"constraints": [{"slot": "year", "range": [1980, 1989], "exclude": True}]})
    # True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def refuses_beside(nlu: Mapping[str, Any]) -> bool:
    """The words refuse something films have: a constraint excluded or a person negated."""
    if any(c.get("exclude") for c in nlu.get("constraints") or ()):
        return True
    return any(p.get("negated") for p in nlu.get("people") or ())
