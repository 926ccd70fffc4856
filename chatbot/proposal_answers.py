"""What a reply to a proposed film says about it: a yes or no to "Have you watched it?" /
"Do you like it?" / "Another one?", read with its tone (``yes_no``), the act that answer
makes at each question (``answer_act``), and whether a goodbye takes the film (``takes_it``).
Pure; part of ``chatbot.policy``. Example::

    answer_act("watched", yes_no({"intent": "no"}, {"compound": 0.0}, "watched"))  # 'ask_like'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.replies import acknowledges_only, declines_with_thanks

POSITIVE = 0.3
NEGATIVE = -0.3


def takes_it(nlu: Mapping[str, Any]) -> bool:
    """A goodbye that takes the film on the table ("sounds great, thanks, bye") rather than
    one without it ("nah, bye")."""
    return bool(nlu.get("verdict") == "liked" or nlu.get("approval") or
                nlu.get("watching") == "future") and nlu.get("verdict") != "disliked"


def answer_act(stage: str, answer: str) -> str:
    """What a yes / no / another / unsure answer means at each question after a proposal."""
    table = {
        "watched": {"yes": "ask_another", "no": "ask_like", "another": "next",
                    "unsure": "ask_like", "liked": "accept", "disliked": "reject",
                    "will_watch": "accept", "no_thanks": "bye"},
        "like": {"yes": "accept", "no": "reject", "another": "reject", "unsure": "reject",
                 "liked": "accept", "disliked": "reject", "will_watch": "accept",
                 "no_thanks": "reject"},
        "another": {"yes": "next", "no": "bye", "another": "next", "unsure": "next",
                    "liked": "next", "disliked": "bye", "will_watch": "accept",
                    "no_thanks": "bye"},
    }
    return table.get(stage, {}).get(answer, "not_understood")


def yes_no(nlu: Mapping[str, Any], sentiment: Mapping[str, float], stage: str = "") -> str:
    """``yes``/``no``/``another``/``unsure``, ``no_thanks`` ("no thank you": the film declined
    at "have you watched it?"), or ``liked``/``disliked`` when the words or the
    tone judge the film ("perfect", "yeah it sucks", "that sounds awful"), else ``unknown``.
    At "have you watched it?" what the words say about watching comes first ("saw it on a
    plane": yes; "only the trailer": unsure)."""
    intent = nlu.get("intent")
    verdict = nlu.get("verdict") or ("liked" if nlu.get("approval") else None)
    compound = float(sentiment.get("compound", 0.0))
    if intent == "another":
        return "another"
    if nlu.get("watching") == "future":  # "I'll watch it tonight": taken, never "seen it"
        return "will_watch"
    if stage == "watched" and declines_with_thanks(nlu.get("words") or ()):
        return "no_thanks"  # "no thank you": the film declined, not "no, not seen it"
    if stage == "watched" and not verdict and acknowledges_only(nlu.get("words") or ()):
        return "unsure"  # "ok" after an answer to a question: no yes to having watched it
    if stage == "watched" and nlu.get("watching") == "yes" and verdict == "liked":
        return "yes"  # "seen it, 10/10": liked it once; offer another, do not end on it
    if stage == "watched" and nlu.get("watching") and not verdict:
        return {"yes": "yes", "no": "no"}.get(str(nlu["watching"]), "unsure")
    if verdict:
        return str(verdict)
    if intent == "yes" and compound <= NEGATIVE:  # "yes, but it looks terrible"
        return "disliked"
    if intent in ("yes", "no"):
        return str(intent)
    if intent == "no_preference":
        return "unsure"
    if compound >= POSITIVE:
        return "liked"
    if compound <= NEGATIVE:
        return "disliked"
    return "unknown"
