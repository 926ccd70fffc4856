"""Sequels refused ("no sequels pls", "only originals"): the wish is said back and kept for
the rest of the conversation, a sequel on the table is swapped for another film, and every
later pick skips sequels (``chatbot.sequels`` tells them by title and franchise). A mixin of
``chatbot.dialog.DialogManager``."""

from __future__ import annotations

import random
from typing import Any

from chatbot.components import Components
from chatbot.question_routes import ANSWER_STAGES
from chatbot.sequels import refuses_sequels, sequel_of, without_sequel_refusal

NO_SEQUELS = "Got it: no sequels."
RANKED = 10  # best-ranked films looked at per try for one that is no sequel
_TRIES = 4


class SequelActs:
    """Reads a refusal of sequels before the rest of the message, and picks around sequels."""

    _parts: Components

    def _ask_again(self, state: dict, rng: random.Random, out: list[str]) -> None:
        raise NotImplementedError  # DialogManager's

    def _recommend(self, state: dict, rng: random.Random, out: list[str]) -> None:
        raise NotImplementedError  # DialogManager's

    def _refuse_sequels(self, state: dict, text: str, rng: random.Random, out: list[str]) -> str | None:
        """``text`` less a refusal of sequels, which is noted and said back; None when nothing
        else is left to answer (the open question is asked again, or a sequel shown replaced)."""
        if state["stage"] == "end" or not refuses_sequels(text):
            return text
        state["no_sequels"] = True
        out.append(NO_SEQUELS)
        rest = without_sequel_refusal(text)
        if _says_more(rest) or state["stage"] == "start":  # the first message: the rest, or the first question
            return rest if _says_more(rest) else ""
        current = state.get("current") if state["stage"] in ANSWER_STAGES else None
        follows = self._follows(current) if current else None
        if current and follows:  # a sequel on the table: another film, and why
            if current.get("id") is not None and current["id"] not in state["rejected"]:
                state["rejected"].append(current["id"])
            out.append(f"{current['title']} follows {follows}, so here's another.")
            self._recommend(state, rng, out)
            return None
        if current:
            out.append(f"{current['title']} is no sequel, so it stays.")
        self._ask_again(state, rng, out)
        return None

    def _follows(self, movie: dict[str, Any]) -> str | None:
        return sequel_of(movie, self._parts.db.find_title)

    def _skip_sequels(self, state: dict, pool: list[int], ranked: list[int], extras: tuple[Any, ...]) -> list[int]:
        """``ranked`` with sequels left out when the user refused them; the best-ranked films
        are looked at a few at a time (telling a sequel asks the catalogue)."""
        if not state.get("no_sequels"):
            return ranked
        left = list(pool)
        best = list(ranked)
        for _ in range(_TRIES):
            for movie_id in best:
                if not self._follows(self._parts.db.movie(movie_id)):
                    return [movie_id]
            left = [i for i in left if i not in best]
            if not left:
                break
            best = self._parts.db.rank(left, list(state["like"]), list(state["rejected"]), RANKED, *extras)
        return ranked  # nothing but sequels: the best of them rather than nothing


def _says_more(rest: str) -> bool:
    """Something beside the refusal is left to act on ("a comedy", "no preference")."""
    words = [w for w in rest.lower().replace(",", " ").split() if w not in _FILLERS]
    return bool(words)


# what is left of "sequels suck, skip those", "no sequels pls k": nothing more to act on
_FILLERS = frozenset("""please pls plz thanks thx ok okay k oh and also just though tho lol skip avoid
    those them these ones em ugh honestly really""".split())
