"""A yes/no question about the film shown is a question, whatever its adjectives: "is it
scary or more cheesy?", "is this one more funny or more sad?", "would it be too dark?".
Pure; no IO.

Words such as "more cheesy" or "too dark" read as a complaint about the film and a request
for another when told ("it's too cheesy"); asked of it ("is it ...?") they are the user's
question, to be answered (or said unknowable) with the film kept. Example::

    asked_not_told({"interrogative": True, "about_film": True, "intent": "another",
                    "complaint": {...}}, "is it scary or more cheesy?")   # no complaint, intent unknown
"""

from __future__ import annotations

import re
from typing import Any

# the last clause opens as a yes/no question about the film: "is it", "would this one be"
_ASKED = re.compile(r"(?:^|[.!;]\s*)(?:(?:so|and|but|ok|okay|also|wait|hmm)\s+)*"
                    r"(?:is|was|would|will|does|did|isnt|isn't)\s+(?:it|this|that)\b[^.!;]*\?\s*$", re.I)


def asked_not_told(understood: dict[str, Any], cleaned: str) -> dict[str, Any]:
    """``understood`` without the complaint and the request for another film when the
    message asks a yes/no question of the film shown (see the module)."""
    if not (understood.get("interrogative") and understood.get("about_film")) or not _ASKED.search(cleaned):
        return understood
    if not understood.get("complaint") and understood.get("intent") != "another":
        return understood
    intent = "unknown" if understood.get("intent") == "another" else understood.get("intent")
    return dict(understood, complaint=None, intent=intent, asks_other=False, request=False)
