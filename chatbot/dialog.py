"""The dialog manager: one user turn -> the bot's messages and the next state.

All conversation state is one JSON-able dict (see ``new_state``), so it can live in a shared
store and any process can serve any turn. Collaborators are reached only through
``chatbot.components.Components`` (understanding, sentiment, policy, db), so the PUMA port
swaps them for mesh calls without touching this module. Example::

    manager = DialogManager(local_components(catalog, recommender))
    step = manager.step(new_state(seed=0), "")          # intro + genre question
    step = manager.step(step.state, "comedy with Jim Carrey")
    step.messages   # ['Got it: the genre comedy and the actor Jim Carrey.', 'Which director ...?']

The flow is the original system's: genre -> actor -> director -> MPAA rating -> "I'm thinking
about what you might like." -> a film in three sentences -> "Have you watched this movie
before?" -> "Would you want another recommendation then?" or "Do you like this
recommendation?" -> bye (signal "end").
"""

from __future__ import annotations

import copy
import itertools
import logging
import random
from dataclasses import dataclass
from typing import Any

from chatbot import nlg
from chatbot.components import Components, constraints_of
from chatbot.nlg import SLOTS
from chatbot.sentiment import NEUTRAL
from chatbot.text import clean_input

log = logging.getLogger(__name__)

STATE_VERSION = 1
# Which wish to set aside first when nothing matches them all (weakest first).
WEAKNESS = {"mpaa": 0, "director": 1, "actor": 2, "genre": 3}
_FOLLOW_UPS = {"watched": nlg.WATCHED, "like": nlg.LIKE, "another": nlg.ANOTHER}


def new_state(seed: int = 0) -> dict[str, Any]:
    """A fresh conversation. Paraphrases depend on ``seed`` and the turn count only."""
    return {
        "v": STATE_VERSION, "seed": int(seed), "stage": "start", "turns": 0,
        "answered": [], "prefs": {}, "dropped": [], "like": [], "shown": [], "rejected": [],
        "current": None, "empathy_shown": False, "misses": 0, "last_act": None,
    }


@dataclass(frozen=True)
class Step:
    """The result of one turn: the new state, the messages, ``signal`` ("end" or None) and the
    film currently proposed (a dict) or None."""

    state: dict[str, Any]
    messages: list[str]
    signal: str | None
    recommendation: dict[str, Any] | None


class DialogManager:
    """Runs turns over a state dict; stateless itself, so one instance serves every session."""

    def __init__(self, components: Components) -> None:
        self._parts = components
        self._acts = {
            "fill": self._fill, "refine": self._refine, "skip": self._skip,
            "clarify": self._clarify, "greet": self._greet, "empty": self._repeat_empty,
            "not_understood": self._not_understood, "bye": self._bye, "ended": self._ended,
            "ask_like": self._ask_like, "ask_another": self._ask_another,
            "accept": self._accept, "reject": self._reject, "next": self._next,
        }

    def step(self, state: dict[str, Any], text: object) -> Step:
        """Answer ``text`` (anything; it is cleaned) in conversation ``state`` (not modified)."""
        state = copy.deepcopy(state)
        rng = random.Random(f"{state['seed']}:{state['turns']}")
        state["turns"] += 1
        cleaned, truncated = clean_input(text)
        starting = state["stage"] == "start"
        out: list[str] = [nlg.INTRO] if starting else []
        if truncated:
            out.append(nlg.TRUNCATED)
        if starting:
            self._start(state, cleaned, rng, out)
        else:
            self._respond(state, cleaned, rng, out)
        if not [m for m in out if m.strip()]:
            out.append(nlg.NOT_UNDERSTOOD)
        signal = "end" if state["stage"] == "end" else None
        return Step(state, [m for m in out if m.strip()], signal, state["current"])

    def _start(self, state: dict, text: str, rng: random.Random, out: list[str]) -> None:
        state["stage"] = "genre"
        if text:
            understanding = self._parts.nlu(text, "genre")
            decision = self._parts.policy(state, understanding, dict(NEUTRAL))
            if decision.get("act") == "fill":
                self._fill(state, decision, rng, out)
                return
        out.append(nlg.question("genre", rng))

    def _respond(self, state: dict, text: str, rng: random.Random, out: list[str]) -> None:
        stage = state["stage"]
        understanding = self._parts.nlu(text, stage if stage in SLOTS else None)
        rest = str(understanding.get("rest") or "")
        scores = self._parts.sentiment(rest) if rest else dict(NEUTRAL)
        decision = self._parts.policy(state, understanding, scores)
        act = decision.get("act", "not_understood")
        log.debug("stage %s act %s", stage, act)
        if decision.get("empathy"):
            out.append(nlg.pick(nlg.EMPATHY, rng))
            state["empathy_shown"] = True
        state["last_act"] = act
        self._acts.get(act, self._not_understood)(state, decision, rng, out)

    # -- acts while asking for wishes -------------------------------------------------------

    def _fill(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        if not self._record_wishes(state, decision, out):
            self._ask_again(state, rng, out)
            return
        self._narrow(state, out)
        self._advance(state, rng, out)

    def _record_wishes(self, state: dict, decision: dict, out: list[str]) -> bool:
        """Store the wishes and "something like" film; False when none could be used."""
        fills = dict(decision.get("fills") or {})
        liked = self._like_title(state, decision.get("title"), out)
        for slot, value in fills.items():
            state["prefs"][slot] = value
            state["dropped"] = [item for item in state["dropped"] if item[0] != slot]
            _mark_answered(state, slot)
        if fills:
            out.append(nlg.acknowledge(fills))
        if liked and state["stage"] in SLOTS:
            _mark_answered(state, state["stage"])
        return bool(fills or liked)

    def _like_title(self, state: dict, title: str | None, out: list[str]) -> bool:
        if not title:
            return False
        movie = self._parts.db.find_title(title)
        if movie is None:
            out.append(f"Sorry, I don't know a film called \"{title}\".")
            return False
        if movie["id"] not in state["like"]:
            state["like"].append(movie["id"])
        out.append(nlg.like_title(movie))
        return True

    def _skip(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        _mark_answered(state, state["stage"])
        self._advance(state, rng, out)

    def _clarify(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.CLARIFY[state["stage"]], rng))

    def _greet(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.GREETINGS, rng))
        self._ask_again(state, rng, out)

    def _not_understood(self, state: dict, decision: dict, rng: random.Random,
                        out: list[str]) -> None:
        state["misses"] += 1
        out.append(nlg.NOT_UNDERSTOOD)
        self._ask_again(state, rng, out)
        if state["misses"] >= 2 and state["stage"] in SLOTS:
            out.append(nlg.HINT)

    def _repeat_empty(self, state: dict, decision: dict, rng: random.Random,
                      out: list[str]) -> None:
        out.append(nlg.EMPTY)
        self._ask_again(state, rng, out)

    def _ask_again(self, state: dict, rng: random.Random, out: list[str]) -> None:
        stage = state["stage"]
        out.append(nlg.question(stage, rng) if stage in SLOTS else _FOLLOW_UPS.get(stage, ""))

    def _advance(self, state: dict, rng: random.Random, out: list[str]) -> None:
        """Ask the first slot not yet answered, or recommend when all are."""
        slot = next((s for s in SLOTS if s not in state["answered"]), None)
        if slot is not None:
            if slot != state["stage"]:
                state["misses"] = 0
            state["stage"] = slot
            out.append(nlg.question(slot, rng))
            return
        out.append(nlg.THINKING)
        self._recommend(state, rng, out)

    def _narrow(self, state: dict, out: list[str]) -> None:
        """Keep the wishes satisfiable: set aside the weakest ones when nothing matches all."""
        items = active_items(state)
        if not items or self._parts.db.search(constraints_of(items)):
            return
        ordered = sorted(items, key=lambda item: (WEAKNESS.get(item[0], 0), -items.index(item)))
        for size in range(1, len(ordered) + 1):
            for dropped in itertools.combinations(ordered, size):
                kept = [item for item in items if item not in dropped]
                if not kept or self._parts.db.search(constraints_of(kept)):
                    state["dropped"].extend(list(item) for item in dropped)
                    out.append(nlg.relaxed(dropped))
                    log.debug("relaxed %s", dropped)
                    return

    # -- acts once a film is proposed --------------------------------------------------------

    def _recommend(self, state: dict, rng: random.Random, out: list[str]) -> None:
        ids = self._parts.db.search(constraints_of(active_items(state)))
        exclude = set(state["shown"]) | set(state["like"])
        pool = [i for i in ids if i not in exclude]
        if not pool:
            out.append(nlg.NO_RECOMMENDATION)
            self._bye(state, {}, rng, out)
            return
        ranked = self._parts.db.rank(pool, list(state["like"]), list(state["rejected"]), 1)
        movie = self._parts.db.movie(ranked[0] if ranked else pool[0])
        state["current"] = _public_movie(movie)
        state["shown"].append(movie["id"])
        out.extend(nlg.describe(movie))
        out.append(nlg.WATCHED)
        state["stage"] = "watched"

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

    def _reject(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        current = state["current"] or {}
        if current.get("id") is not None and current["id"] not in state["rejected"]:
            state["rejected"].append(current["id"])
        self._next(state, decision, rng, out)

    def _next(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.NEXT_ONE, rng))
        self._recommend(state, rng, out)

    def _refine(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """New wishes while a film is on the table: take them and propose another film."""
        if not self._record_wishes(state, decision, out):
            self._ask_again(state, rng, out)
            return
        self._narrow(state, out)
        self._recommend(state, rng, out)

    def _bye(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.pick(nlg.BYES, rng))
        state["stage"] = "end"

    def _ended(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        out.append(nlg.ENDED)


def active_items(state: dict[str, Any]) -> list[list[Any]]:
    """The wishes in force: ``[[slot, value], ...]`` minus those set aside."""
    items: list[list[Any]] = []
    for slot in SLOTS:
        value = state["prefs"].get(slot)
        values = value if isinstance(value, list) else [value] if value else []
        items.extend([slot, v] for v in values if [slot, v] not in state["dropped"])
    return items


def _mark_answered(state: dict[str, Any], slot: str) -> None:
    if slot in SLOTS and slot not in state["answered"]:
        state["answered"].append(slot)


def _public_movie(movie: dict[str, Any]) -> dict[str, Any]:
    """The proposed film as callers see it: the catalogue fields plus ``director``."""
    directors = list(movie.get("directors") or [])
    return {
        "id": movie["id"], "title": movie.get("title"), "year": movie.get("year"),
        "genres": list(movie.get("genres") or []), "directors": directors,
        "director": directors[0] if directors else None, "cast": list(movie.get("cast") or []),
        "mpaa": movie.get("mpaa"), "runtime_min": movie.get("runtime_min"),
    }
