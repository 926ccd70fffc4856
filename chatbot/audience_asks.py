"""A child who watches, told while a film is on the table: "is it ok for kids? my 8yo is in
the room", "my 9 y/o nephew is here, is this ok?", "fyi my daughter (7) is watching too".

The film shown is judged by the child's rating bound (the catalogue knows the rating, not how
scary a film is, so ``chatbot.questions.suitability_reply`` says so), and the bound is a wish
from then on: "ok something she can watch then" keeps it. Pure; no IO. Example::

    audience_answer(nlu("is it ok? my 8yo is here"), state, plan_wishes)
    # {"act": "answer", "topics": ["suitability"], "ratings": ["G", "PG"],
    #  "wishes_after": [..., {"slot": "mpaa", "values": ["G", "PG"], ...}], ...}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chatbot.question_routes import ANSWER_STAGES

# a question or a remark that only asks whether the film suits the child, nothing else
_ASKED_TOPICS = frozenset(("mpaa", "other", "suitability"))
_SUITS = frozenset("""ok okay fine safe suitable appropriate alright allowed scary violent gory
    clean""".split())


def audience_bound(nlu: Mapping[str, Any]) -> dict[str, Any] | None:
    """The rating bound of a child said to watch ("my 10 year old daughter"), or None."""
    bounds = [c for c in nlu.get("constraints") or () if c.get("slot") == "mpaa"
              and c.get("audience") and not c.get("exclude")]
    return dict(bounds[-1]) if bounds else None


def audience_answer(nlu: Mapping[str, Any], state: Mapping[str, Any],
                    plan: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
                    ) -> dict[str, Any] | None:
    """The ``answer`` decision for a child told beside (or instead of) a question about the
    film shown, or None when the message asks or wishes anything else (films like one, a
    genre, a person); ``plan`` is ``chatbot.wishes.plan_wishes``."""
    bound = audience_bound(nlu)
    if bound is None or state.get("stage") not in ANSWER_STAGES or not state.get("current"):
        return None
    others = [c for c in nlu.get("constraints") or () if c.get("slot") != "mpaa"]
    if others or nlu.get("titles") or nlu.get("people") or nlu.get("request"):
        return None
    topics = set(nlu.get("question") or ())
    if not topics <= _ASKED_TOPICS or not (nlu.get("interrogative") or topics):
        return None  # "my son is 7 and will watch it with me": a wish, another film
    values = list(bound["values"])
    return {"act": "answer", "topics": ["suitability"], "ratings": values, "title": None,
            "wishes_after": plan(state, {"constraints": [bound]})["wishes"],
            "audience_bound": values}


def kept_bound(nlu: Mapping[str, Any], state: Mapping[str, Any], question: Mapping[str, Any],
               plan: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
               ) -> dict[str, Any]:
    """A child told beside any other question answered ("is it ok for my 8 year old?" before
    any film): the bound kept as a wish (``{"wishes_after", "audience_bound"}``, else ``{}``)."""
    bound = audience_bound(nlu)
    if question.get("act") != "answer" or bound is None:
        return {}
    return {"wishes_after": plan(state, {"constraints": [bound]})["wishes"],
            "audience_bound": list(bound["values"])}
