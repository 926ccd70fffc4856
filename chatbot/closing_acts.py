"""Dialog acts that answer "Have you watched it?" / "Do you like it?" and close the
conversation: asking the next follow-up, taking the film, goodbye and talking after it. A
mixin of ``chatbot.dialog.DialogManager``: each act writes its reply to ``out``."""

from __future__ import annotations

import random

from chatbot import nlg
from chatbot.components import Components
from chatbot.dialog_state import asked, public_movie
from chatbot.film_choices import described_pick, pointed_pick, title_start_pick
from chatbot.reopening import reopens
from chatbot.seen import own_pick_said
from chatbot.taking import earlier_pick, taken_film


class ClosingActs:
    """The acts ``ask_like``, ``ask_another``, ``wait``, ``accept``, ``bye`` and ``ended``."""

    _parts: Components

    def _decide(self, state: dict, text: str) -> dict:
        raise NotImplementedError  # DialogManager's

    def _act(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> str:
        raise NotImplementedError  # DialogManager's

    def _reopened(self, state: dict, text: str, rng: random.Random, out: list[str]) -> bool:
        """After the goodbye on a film: "another", "actually one more (from the 90s)" gets
        another film with the wishes kept (the one taken left out); "nope wait" takes the
        goodbye back and asks "another?" again. False (nothing done) for anything else."""
        if state["stage"] != "end" or not state.get("current"):
            return False
        how = reopens(text, self._parts.nlu(text, None))
        if how == "ask":
            self._ask_another(state, {}, rng, out)
            return True
        if how != "another":
            return False
        trial = dict(state, stage="another")  # read as at "Would you want another one?"
        decision = self._decide(trial, text)
        if decision.get("act") not in ("next", "refine", "suggest"):  # "...with arnold": which one?
            return False
        state["stage"] = "another"
        self._act(state, decision, rng, out)
        return True

    def _ask_like(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        state["stage"] = "like"
        out.append(nlg.LIKE)

    def _wait(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"let me think", "hmm idk": no answer yet, so the same question, with no hurry."""
        if decision.get("hesitant"):  # "hmm maybe": what would tip it, the question left open
            out.append(nlg.HESITANT)
            return
        out.append(nlg.NO_OPINION_YET if decision.get("no_opinion") else nlg.pick(nlg.NO_HURRY, rng))
        out.append({"watched": nlg.WATCHED, "another": nlg.ANOTHER}.get(state["stage"], nlg.LIKE))

    def _ask_another(self, state: dict, decision: dict, rng: random.Random,
                     out: list[str]) -> None:
        state["stage"] = "another"
        if decision.get("no_opinion"):  # "n/a" to "Do you like it?": no dislike counted
            out.append(nlg.NO_OPINION)
        out.append(nlg.ANOTHER)

    def _taken(self, state: dict, text: str) -> dict | None:
        """The film shown that ``text`` takes by name ("fistful of dollars it is"), or None."""
        shown = {i: str(self._parts.db.movie(i)["title"]) for i in state.get("shown") or ()}
        named = {i: str(self._parts.db.movie(i)["title"]) for i in state.get("named") or ()}
        taken = taken_film(text, shown | named) if shown else None  # named: "what else has X
        # directed?" answered with Enemy, then "enemy sounds cool, let's do that"
        if taken is None:  # "go back to that one", "i'll take the first one"
            taken = earlier_pick(text, list(state.get("shown") or ()))
        if taken is None:  # "the space one", "I'll go with 2001 then", "ok that one then"
            taken = self._called(state, text)
        if taken is not None and taken not in shown:
            shown[taken] = str(self._parts.db.movie(taken)["title"])
        return {"id": taken, "title": shown[taken]} if taken is not None else None

    def _called(self, state: dict, text: str) -> int | None:
        """A film talked about taken by what the user calls it (``chatbot.film_choices``): the
        one the last answer singled out ("ok that one then"), a description or a title's start."""
        pointed = state.get("pointed") or {}
        if pointed.get("turn") == state.get("turns", 0) - 1 and pointed_pick(text):
            return int(pointed["id"])
        ids = list(dict.fromkeys([*(state.get("shown") or ()), *(
            [state["asked_film"]["id"]] if state.get("asked_film") else [])]))
        films = [self._parts.db.movie(i) for i in ids]
        return described_pick(text, films) or title_start_pick(text, films)

    def _accept(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"Enjoy <the film>": the one on the table, or the one named ("i'll take Heat")."""
        taken = decision.get("taken")
        own = self._parts.db.find_title(decision["own_pick"]) if decision.get("own_pick") else None
        if own is not None:  # "i'll rewatch Heat, it was great" with Ronin shown: Heat, said once
            state["current"] = public_movie(own, asked(state)["genre"])
            if own["id"] in state["shown"]:  # a film proposed earlier: taken like the one shown
                out.append(nlg.pick(nlg.ACCEPTED, rng, title=str(own["title"])))
                decision = {k: v for k, v in decision.items() if k != "own_pick"}
            self._bye(state, dict(decision, taken=True), rng, out)
            return
        if taken and taken["id"] != (state["current"] or {}).get("id"):
            state["current"] = public_movie(self._parts.db.movie(taken["id"]), asked(state)["genre"])
        title = (state["current"] or {}).get("title") or "the movie"
        out.append(nlg.pick(nlg.ACCEPTED, rng, title=title))
        self._bye(state, dict(decision, taken=True), rng, out)

    def _bye(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if decision.get("own_pick"):  # named as the catalogue names it ("The Mask (1994)")
            out.append(own_pick_said(self._parts.db, decision["own_pick"]))
        taken = decision.get("taken") or decision.get("own_pick")  # "Enjoy X" said: no "I hope
        # you find something"; none taken: no "enjoy your movie"
        byes: tuple[str, ...] = ((nlg.BYES_TAKEN if taken else nlg.BYES_UNTAKEN)
                                 if state["shown"] else nlg.BYES_NO_FILM)
        if state.get("stage") == "end" and decision.get("thanked"):  # "cheers" after the
            # goodbye: answered briefly, once; never a second goodbye as if nothing happened
            out.append("🙂" if state.get("welcomed") else "You're welcome! It was nice talking to you.")
            state["welcomed"] = True
            return
        if state.get("stage") == "end":  # a goodbye back after the goodbye: whatever was
            byes = (nlg.BYES[2],)  # taken, "nice talking to you" fits (no wish unsaid or resaid)
        out.append(nlg.pick(byes, rng))
        state["stage"] = "end"

    def _ended(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.ENDED)
