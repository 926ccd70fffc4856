"""The conversation state: one JSON-able dict per conversation, its version upgrade, and the
wishes in force. Pure; no IO. Used by ``chatbot.dialog`` (which changes it turn by turn) and
``chatbot.bot`` (which stores it).

Shape (``STATE_VERSION`` 2): ``stage`` (the open question: "genre", ..., "watched", "like"),
``wishes`` (constraints, ``chatbot.constraints``), ``dropped`` (those set aside because
nothing matched them all), ``answered`` (slots asked and answered), ``suggestion`` (a "Did you
mean ...?" awaiting a yes), ``shown`` / ``like`` / ``rejected`` (film ids), ``current`` (the film
on the table, ``public_movie``). States of version 1 (``prefs``) are read and upgraded.
Example::

    state = new_state(seed=0)
    state["wishes"].append({"slot": "genre", "values": ["comedy"], "exclude": False})
    active_items(state)        # [{"slot": "genre", "values": ["comedy"], "exclude": False}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.constraints import included_values, same_wish
from chatbot.nlg import SLOTS, spoken_genres

STATE_VERSION = 2


def new_state(seed: int = 0) -> dict[str, Any]:
    """A fresh conversation. Paraphrases depend on ``seed`` and the turn count only."""
    return {
        "v": STATE_VERSION, "seed": int(seed), "stage": "start", "turns": 0,
        "answered": [], "wishes": [], "dropped": [], "suggestion": None, "last_slot": None,
        "like": [], "shown": [], "rejected": [], "current": None, "empathy_shown": False,
        "misses": 0, "last_act": None,
    }


def upgrade_state(state: dict[str, Any]) -> dict[str, Any]:
    """A state of any version as the current one (version 1 kept wishes as ``prefs``)."""
    if state.get("v", 1) >= STATE_VERSION:
        return state
    prefs = state.pop("prefs", None) or {}
    state["wishes"] = [{"slot": slot, "values": [v], "exclude": False}
                       for slot in SLOTS for v in _as_list(prefs.get(slot))]
    state["dropped"] = [{"slot": slot, "values": [v], "exclude": False}
                        for slot, v in state.get("dropped") or ()]
    state.update(v=STATE_VERSION, suggestion=None, last_slot=None)
    return state


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def active_items(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The wishes in force (constraints, ``chatbot.constraints``) minus those set aside."""
    dropped = state.get("dropped") or []
    return [dict(w) for w in state.get("wishes") or []
            if not any(same_wish(w, d) for d in dropped)]


def asked(state: dict[str, Any]) -> dict[str, list[str]]:
    """The genres and actors the user asked for (in force), for describing a film."""
    items = active_items(state)
    return {"genre": included_values(items, "genre"), "actor": included_values(items, "actor")}


def mark_answered(state: dict[str, Any], slot: str) -> None:
    if slot in SLOTS and slot not in state["answered"]:
        state["answered"].append(slot)


# Acts that give wishes: when they leave the open slot question unanswered twice, it is waived.
_WISH_ACTS = frozenset(("fill", "skip", "refine"))
MAX_UNANSWERED_ASKS = 2
# The genre is what a search starts from: asked until answered (or waived in words).
_WAIVABLE = frozenset(SLOTS) - {"genre"}


# Acts that make no progress at all ("hmm ok" -> "Which one?"): the genre question too is
# not asked a third time after them
_IDLE_ACTS = frozenset(("clarify", "not_understood"))
# "what do you mean?", "ugh you're useless" to "Do you have a favourite director?": the question
# comes again, and counts as asked again: never asked a third time in a row
_ASIDE_ACTS = frozenset(("help", "social"))


def stuck_on(state: dict[str, Any], stage: str, decision: dict[str, Any]) -> bool:
    """True when the question for ``stage`` was just asked again for the second time in a row
    after answers that gave other wishes or nothing understood; counts such re-asks in
    ``state["unanswered"]``."""
    idle = decision.get("act") in _IDLE_ACTS
    again = stage in (SLOTS if idle else _WAIVABLE) and state["stage"] == stage and stage not in state["answered"]
    # a correction ("I said hardy not hanks") fixes what was said, ignoring no question
    progress = any(w.get("slot") == stage for w in decision.get("added") or ()) or bool(decision.get("replaced"))
    # "nothing R" to "Which rating?" says what is not wanted: the question comes again ("then"),
    # and counts as asked again, so that it is never asked a third time
    refused_only = progress and not decision.get("replaced") and all(
        w.get("exclude") for w in decision.get("added") or () if w.get("slot") == stage)
    if again and refused_only and decision.get("act") in _WISH_ACTS:
        state["unanswered"] = state.get("unanswered", 0) + 1
        return False
    if not again or progress or decision.get("act") not in _WISH_ACTS | _IDLE_ACTS | _ASIDE_ACTS:
        state["unanswered"] = 0 if state["stage"] != stage else state.get("unanswered", 0)
        return False
    state["unanswered"] = state.get("unanswered", 0) + 1
    if state["unanswered"] < MAX_UNANSWERED_ASKS:
        return False
    state["unanswered"] = 0
    return True


def public_movie(movie: dict[str, Any], asked_genres: Sequence[str] = ()) -> dict[str, Any]:
    """The proposed film as callers see it: the catalogue fields plus ``director``; its genres in
    the order the proposal names them (``asked_genres`` first: `nlg.spoken_genres`), so the card
    a page draws from it agrees with what the bot says."""
    directors = list(movie.get("directors") or [])
    return {
        "id": movie["id"], "title": movie.get("title"), "year": movie.get("year"),
        "genres": spoken_genres(movie, asked_genres), "directors": directors,
        "director": directors[0] if directors else None, "cast": list(movie.get("cast") or []),
        "mpaa": movie.get("mpaa"), "runtime_min": movie.get("runtime_min"),
        "votes": movie.get("votes"),  # "something less famous" is relative to it
    }


# Which wish to set aside first when nothing matches them all (weakest first). A refusal ("no
# horror", "no more Harry Potter") outlasts every wish for something: what the user said they do
# not want is the last thing to hand them.
WEAKNESS = {"votes": 0, "critics": 0, "mpaa": 0, "runtime": 1, "year": 2, "director": 3, "actor": 4, "genre": 5, "title": 6}


def weakness(wish: dict[str, Any]) -> int:
    """How readily a wish is set aside: a rating bound from who is watching ("my kids are 5
    and 8") never before the others; a refusal after every wish for something."""
    if wish.get("audience"):
        return 2 * len(WEAKNESS) + 1
    if wish.get("soft"):  # "X or whoever": the first to go
        return -1
    return WEAKNESS.get(wish["slot"], 0) + (len(WEAKNESS) if wish.get("exclude") else 0)


def no_film_to_ask_about(state: dict[str, Any], asked: dict[str, Any]) -> bool:
    """A question about "it" (no known topic) after wishes, with no film proposed yet."""
    return asked.get("act") == "answer" and not state.get("current") and not asked.get(
        "title") and list(asked.get("topics") or ()) in ([], ["other"])


def rank_extras(genres: list[str], actors: list[str]) -> tuple[list[str] | None, ...]:
    """``Db.rank``'s optional arguments, only those in use (an older db service takes four)."""
    if actors:
        return (genres or None, actors)
    return (genres,) if genres else ()
