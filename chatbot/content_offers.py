"""A viewer's dislike of what a film shows ("my gf hates gore"), said beside a question about
the film on the table ("is it scary?"): the question is answered and the wishes stay as they
are; the milder search is offered, not made, because the catalogue cannot measure gore or fear
and capping the rating would silently drop the people and rating the user asked for.
Pure; no IO. Example::

    content_offer({"notes": [APPROXIMATIONS["violent"]["note"]], "added": [...]})
    # 'If you would rather have something milder, say "something less violent" and I will ...'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.lexicon import APPROXIMATIONS

# what a film shows, which the catalogue can only approximate by its rating or genres
_CONTENT_KEYS = ("violent", "explicit", "too scary", "sensitive")
_CONTENT_NOTES = frozenset(note for key in _CONTENT_KEYS for note in (
    APPROXIMATIONS[key]["note"], APPROXIMATIONS[key].get("negated_note")) if note)
_ASK_FOR = {"mpaa": 'say "something milder" and I will keep to films rated G or PG',
            "genre": 'say "no horror or thrillers" and I will leave those out'}


def content_offer(decision: Mapping[str, Any]) -> str | None:
    """The offer to say instead of acting on ``decision``, when all it adds are wishes about
    what a film shows (else None: a real wish, acted on)."""
    notes = [str(n) for n in decision.get("notes") or ()]
    added = list(decision.get("added") or ())
    if not notes or not all(n in _CONTENT_NOTES for n in notes):
        return None
    if decision.get("people") or decision.get("titles") or decision.get("title"):
        return None
    slots = {w.get("slot") for w in [*added, *(decision.get("replaced") or ())]}
    if not slots <= {"mpaa", "genre"}:
        return None
    key = "mpaa" if "mpaa" in slots or not slots else "genre"
    return f"If you'd rather have something milder, {_ASK_FOR[key]}."


def with_offer(said: list[str], offer: str) -> list[str]:
    """The offer placed before the open question asked again, which stays last (once: an
    answer given in parts may have placed it already)."""
    if offer in said:
        return said
    return [*said[:-1], offer, *said[-1:]] if said[-1:] and said[-1].endswith("?") else [*said, offer]
