"""Dialog acts that answer "Have you watched it?" / "Do you like it?" and close the
conversation: asking the next follow-up, taking the film, goodbye and talking after it. A
mixin of ``chatbot.dialog.DialogManager``: each act writes its reply to ``out``."""

from __future__ import annotations

import random

from chatbot import nlg
from chatbot.components import Components


class ClosingActs:
    """The acts ``ask_like``, ``ask_another``, ``accept``, ``bye`` and ``ended``."""

    _parts: Components

    def _ask_like(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        state["stage"] = "like"
        out.append(nlg.LIKE)

    def _ask_another(self, state: dict, decision: dict, rng: random.Random,
                     out: list[str]) -> None:
        state["stage"] = "another"
        out.append(nlg.ANOTHER)

    def _accept(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        title = (state["current"] or {}).get("title") or "the movie"
        out.append(nlg.pick(nlg.ACCEPTED, rng, title=title))
        self._bye(state, decision, rng, out)

    def _bye(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if decision.get("own_pick"):
            title = decision["own_pick"]
            out.append(f"Good choice: enjoy {title}{'' if title[-1:] in '.!?' else '!'}")
        out.append(nlg.pick(nlg.BYES if state["shown"] else nlg.BYES_NO_FILM, rng))
        state["stage"] = "end"

    def _ended(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.ENDED)
