"""The act of going back to a film talked about before (``chatbot.going_back``): the film is put
back on the table, described again, and the rest of the message is then read about it. A mixin
of ``chatbot.dialog.DialogManager``."""

from __future__ import annotations

import random

from chatbot.components import Components
from chatbot.going_back import went_back
from chatbot.taking import earlier_pick, taken_film

_ON_TABLE = frozenset(("watched", "like", "another"))


class BackActs:
    """``_go_back``: "go back to heat, we'll watch that", "ooh heat, how long is that one"."""

    _parts: Components

    def _go_back(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """True when ``text`` went back to an earlier film (or one just named) and was answered."""
        current = (state.get("current") or {}).get("id")
        if state.get("stage") not in _ON_TABLE or current is None:
            return False
        shown = {i: str(self._parts.db.movie(i)["title"]) for i in state.get("shown") or ()}
        named = {i: str(self._parts.db.movie(i)["title"]) for i in state.get("named") or ()}
        back = went_back(text, shown, current, named)
        if back is None:
            return False
        taken = earlier_pick(text, list(shown)) or taken_film(text, shown | named)
        if taken == back.film_id and "?" not in text:  # "go back to the first one": taken, as
            # ever; "oh seven, is it scary?" only asks
            self._accept(state, {"act": "accept", "taken": {"id": taken, "title": (shown | named)[taken]}},  # type: ignore[attr-defined]
                         rng, out)
            return True
        self._propose(state, self._parts.db.movie(back.film_id), out)  # type: ignore[attr-defined]
        if back.rest:
            state["stage"] = "like" if back.takes else state["stage"]  # "we'll watch that": no "seen it"
            del out[-1]  # "Have you watched it?" is asked after the rest is answered, if still open
            self._respond(state, back.rest, rng, out)  # type: ignore[attr-defined]
        return True
