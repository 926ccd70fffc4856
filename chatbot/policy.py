"""The dialog policy: a pure function from (state, understanding, sentiment) to a decision.

No IO and no randomness, so the PUMA port can serve it from any instance behind ``/policy``
and tests need nothing but dicts. Example::

    decide({"stage": "genre"}, {"intent": "unknown", "genres": ["comedy"], ...}, NEUTRAL)
    # {'act': 'fill', 'fills': {'genre': ['comedy']}, 'title': None, 'empathy': False}

Acts: ``fill`` (wishes to record; ``title`` = "something like" text), ``skip`` (no preference),
``clarify`` ("yes" without a name), ``greet``, ``not_understood``, ``empty``, ``bye``,
``ask_like`` / ``ask_another`` (after "have you watched it?"), ``accept`` (liked: end),
``reject`` (next film, steering away from this one), ``next`` (next film, no judgement),
``refine`` (new wishes while a film is proposed), ``ended`` (talking after the end).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.text import fold

SLOTS = ("genre", "actor", "director", "mpaa")
POSITIVE = 0.3
NEGATIVE = -0.3
DISTRESS = -0.5
_MOOD_WORDS = frozenset(
    """sad depressed depressing lonely tired stressed upset miserable anxious exhausted
    crying cry angry unhappy down awful terrible horrible rough worst hurt hurts
    day week life feel feeling""".split()
)
_SELF_WORDS = frozenset("i im me my myself feel feeling".split())


def decide(state: Mapping[str, Any], nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> dict:
    """The next dialog act for ``state["stage"]`` given what the user said."""
    stage = state.get("stage", "genre")
    decision = {"act": "not_understood", "fills": {}, "title": None,
                "empathy": _distressed(state, nlu, sentiment)}
    if stage == "end":
        return decision | {"act": "ended", "empathy": False}
    if nlu.get("empty"):
        return decision | {"act": "empty"}
    if nlu.get("intent") == "bye":
        return decision | {"act": "bye"}
    fills = slot_fills(stage, nlu)
    if stage in SLOTS:
        return decision | _slot_act(nlu, fills)
    if fills or nlu.get("title"):
        return decision | {"act": "refine", "fills": fills, "title": nlu.get("title")}
    return decision | {"act": _answer_act(stage, _yes_no(nlu, sentiment))}


def _slot_act(nlu: Mapping[str, Any], fills: dict[str, Any]) -> dict:
    if fills or nlu.get("title"):
        return {"act": "fill", "fills": fills, "title": nlu.get("title")}
    intent = nlu.get("intent")
    if intent in ("no_preference", "no"):
        return {"act": "skip"}
    if intent == "yes":
        return {"act": "clarify"}
    if intent == "greeting":
        return {"act": "greet"}
    return {"act": "not_understood"}


def _answer_act(stage: str, answer: str) -> str:
    """What a yes / no / another / unsure answer means at each question after a proposal."""
    table = {
        "watched": {"yes": "ask_another", "no": "ask_like", "another": "next",
                    "unsure": "ask_like", "liked": "accept", "disliked": "reject"},
        "like": {"yes": "accept", "no": "reject", "another": "reject", "unsure": "reject",
                 "liked": "accept", "disliked": "reject"},
        "another": {"yes": "next", "no": "bye", "another": "next", "unsure": "next",
                    "liked": "next", "disliked": "bye"},
    }
    return table.get(stage, {}).get(answer, "not_understood")


def _yes_no(nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> str:
    """``yes``/``no``/``another``/``unsure``, or ``liked``/``disliked`` when only the tone
    tells ("that sounds awful"), else ``unknown``."""
    intent = nlu.get("intent")
    if intent in ("yes", "no", "another"):
        return str(intent)
    if intent == "no_preference":
        return "unsure"
    compound = float(sentiment.get("compound", 0.0))
    if compound >= POSITIVE:
        return "liked"
    if compound <= NEGATIVE:
        return "disliked"
    return "unknown"


def slot_fills(stage: str, nlu: Mapping[str, Any]) -> dict[str, Any]:
    """Which slots the entities of ``nlu`` answer: ``{"genre": [...], "actor": name, ...}``."""
    fills: dict[str, Any] = {}
    if nlu.get("genres"):
        fills["genre"] = list(nlu["genres"])
    for person in nlu.get("people") or ():
        slot = _slot_for(person, stage)
        if slot and slot not in fills:
            fills[slot] = person["name"]
    if nlu.get("mpaa"):
        fills["mpaa"] = nlu["mpaa"]
    return fills


def _slot_for(person: Mapping[str, Any], stage: str) -> str | None:
    roles = list(person.get("roles") or ())
    cue = person.get("cue")
    if cue in roles:
        return str(cue)
    if stage in roles:
        return stage
    if roles == ["director"]:
        return "director"
    return "actor" if "actor" in roles else (roles[0] if roles else None)


def _distressed(state: Mapping[str, Any], nlu: Mapping[str, Any], sentiment: Mapping[str, float]) -> bool:
    """A strongly negative mood about oneself (not about a film), noticed once per session."""
    if state.get("empathy_shown") or float(sentiment.get("compound", 0.0)) > DISTRESS:
        return False
    words = set(fold(str(nlu.get("rest") or "")).split())
    return bool(words & _SELF_WORDS) and bool(words & _MOOD_WORDS)
