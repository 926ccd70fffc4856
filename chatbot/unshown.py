"""A film taken before any is shown: "final answer", "that one", "I'll take it" to a slot
question point at a proposal that does not exist yet. The bot says so and asks its question
again, instead of "I do not understand". Pure; used by ``chatbot.policy`` and
``chatbot.dialog``. Example::

    takes_unshown({"verdict": "liked", "words": ["that", "one"]}, None)   # True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NO_FILM_YET = "I haven't suggested a film yet, so there's none to take. Tell me what you'd like first."

# words that point at a film or take one: "that one", "final answer", "I'll take it"
_TAKING = frozenset("that this it one answer take pick choose go".split())


def takes_unshown(nlu: Mapping[str, Any], current: Mapping[str, Any] | None) -> bool:
    """The words take or point at a film ("that one please", "final answer") while none is
    proposed, and wish for nothing."""
    if current or any(nlu.get(k) for k in ("constraints", "people", "titles", "wanted_title", "asked_title")):
        return False
    return nlu.get("verdict") == "liked" and bool(_TAKING & set(nlu.get("words") or ()))
