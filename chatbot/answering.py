"""The answer act: which film a question is about and what the answer says, with what the
conversation remembers of it. Pure apart from the ``db`` given
(``chatbot.components.Components.db``).

* **the film asked about**: the one the question names, else the one on the table, else the
  one the last questions named ("who's in The Dark Knight?" then "isn't Heath Ledger in
  it?"), kept for ``ASKED_TURNS`` turns (``state["asked_film"]``).
* **names told**: the cast names said of a film (in its description or an answer) are kept
  (``state["told_cast"]``), so "who else is in it?" names others.
* **people named**: the people an answer named, or asked about ("isn't Heath Ledger in
  it?"), are what "something with him" refers to next (``chatbot.referents``).

Example::

    said = answer_question(db, state, {"act": "answer", "topics": ["cast"], "title": "Heat"})
    # ['Heat features Al Pacino, Robert De Niro, ... .']; None when there is no film to answer about
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chatbot import nlg
from chatbot.answers import answer, cast_after, cast_listed
from chatbot.dialog_state import active_items
from chatbot.dialog_state import asked as asked_wishes
from chatbot.questions import suitability_reply
from chatbot.recall import recall_reply, recalled_films
from chatbot.referents import answered_people, remember
from chatbot.sequels import later_answer, sequel_answer, sequel_of
from chatbot.text import end_sentence
from chatbot.tone_answers import MOODS, tone_reply

ASKED_TURNS = 3  # a film asked about by name stays "it" this many turns when none is proposed


def asked_film(state: Mapping[str, Any]) -> int | None:
    """The id of the film the last questions named, while no film is proposed, or None."""
    asked = state.get("asked_film")
    if not asked or state.get("turns", 0) - int(asked.get("turn", 0)) > ASKED_TURNS:
        return None
    return int(asked["id"])


def answer_question(db: Any, state: dict[str, Any], decision: Mapping[str, Any]) -> list[str] | None:
    """The sentences answering ``decision`` (an ``answer`` act), or None when no film is named,
    proposed or recently asked about."""
    movie = _film(db, state, decision)
    if movie is None:
        return None
    topics = list(decision.get("topics") or ())
    if "recall" in topics:  # "what was that war one called again?"
        return _recall(db, state, str(decision.get("recall_genre") or ""), movie)
    said = []
    if "suitability" in topics:
        said.append(suitability_reply(movie, list(decision.get("ratings") or ()), nlg.rating_text(movie)))
    if "tone" in topics and decision.get("mood") in MOODS:  # "is it sad?": genres, rating, critics
        said.append(tone_reply(str(decision["mood"]), movie, nlg.rating_text(movie)))
    shown = [db.movie(i) for i in state["shown"][:-1]] if "history" in topics else []
    if shown:  # "what was the first one?" ... "ok that one then": the film this answer points at
        first = decision.get("history_first", len(shown) == 1)
        state["pointed"] = {"id": shown[0]["id"] if first else movie["id"], "turn": state.get("turns", 0)}
    told = _told(state, movie)
    people = list(decision.get("people") or ())
    named = answered_people(topics, movie, list(asked_wishes(state).get("actor") or ()))
    if "cast_more" in topics:
        named = [(n, "actor") for n in cast_after(movie, told)]
    named += [(str(p["name"]), "director" if p.get("cue") == "director" else "actor") for p in people
              if p.get("name") in (movie.get("cast") or ()) or p.get("name") in (movie.get("directors") or ())]
    if named or "cast" in topics or "director" in topics:  # "is it long?" keeps "him" as it was
        remember(state, named)
    tell_cast(state, movie, [n for n, role in named if role == "actor"])
    ranges = [{**c, "than_film": _than(db, c)} for c in decision.get("ranges") or ()]
    if "sequel" in topics:  # "is that a sequel?" / "does it have one?": title and catalogue
        topics = [t for t in topics if t != "sequel"]
        said.append(end_sentence(_sequel_reply(db, movie, bool(decision.get("sequel_is")))))
    said += answer(topics, movie, asked_wishes(state), people=people,
                   genres=decision.get("genres") or (), shown=shown,
                   ratings=decision.get("ratings") or (), wishes=active_items(state), told=told,
                   ranges=ranges)
    return said


def _sequel_reply(db: Any, movie: Mapping[str, Any], asks_is: bool) -> str:
    """Whether ``movie`` is a sequel (``asks_is``) or has one in the catalogue."""
    later = None if asks_is else later_answer(movie, db.find_title)
    if later is not None:
        return later
    if asks_is or sequel_of(movie, db.find_title):
        return sequel_answer(movie, db.find_title)
    return (f"My catalogue doesn't link films into series, and it has no numbered sequel of "
            f"{movie.get('title') or 'it'}")


def _recall(db: Any, state: dict[str, Any], genre: str, movie: Mapping[str, Any]) -> list[str]:
    """The earlier films of ``genre`` named, the first of them pointed at ("fine, that one")."""
    films = recalled_films(genre, [db.movie(i) for i in state["shown"] if i != movie.get("id")])
    if films:
        state["pointed"] = {"id": films[0]["id"], "turn": state.get("turns", 0)}
    return [end_sentence(recall_reply(genre, films))]


def points_away(text: str) -> bool:
    """"how long was that one?", "is the other one PG?": a film other than "it" on the table."""
    return bool(_THAT_ONE.search(text))


_THAT_ONE = re.compile(r"\b(?:that|the\s+other)\s+(?:one|film|movie|flick)\b|\bthat\s+other\b", re.I)


def _asked_last_turn(state: Mapping[str, Any], recent: int | None) -> bool:
    """The film asked about by name in the turn just before, other than the one on the table."""
    asked = state.get("asked_film") or {}
    return recent is not None and recent != (state.get("current") or {}).get("id") and \
        state.get("turns", 0) - int(asked.get("turn", 0)) == 1


def _than(db: Any, check: Mapping[str, Any]) -> dict[str, Any] | None:
    """The film a comparison names ("longer than Heat"), as the catalogue has it, or None."""
    than = check.get("than")
    found = db.find_title(str(than)) if than else None
    return dict(found) if found is not None else None


def tell_cast(state: dict[str, Any], movie: Mapping[str, Any], names: list[str]) -> None:
    """Keep the cast names said of ``movie`` (its description, an answer)."""
    told = _told(state, movie)
    state["told_cast"] = {"id": movie["id"], "names": told + [n for n in names if n not in told]}


def described_cast(state: dict[str, Any], movie: Mapping[str, Any]) -> list[str]:
    """The cast names a film's description names (``chatbot.nlg.describe``: three)."""
    return cast_listed(movie, list(asked_wishes(state).get("actor") or ()))[:3]


def _told(state: Mapping[str, Any], movie: Mapping[str, Any]) -> list[str]:
    told = state.get("told_cast") or {}
    return list(told.get("names") or ()) if told.get("id") == movie.get("id") else []


def _film(db: Any, state: dict[str, Any], decision: Mapping[str, Any]) -> dict[str, Any] | None:
    title = decision.get("title")
    movie = db.find_title(title) if title else None
    if movie is not None:
        state["asked_film"] = {"id": movie["id"], "turn": state.get("turns", 0)}
        return dict(movie)
    recent = asked_film(state)
    if state.get("current") and not (decision.get("that_one") and _asked_last_turn(state, recent)):
        return dict(db.movie(state["current"]["id"]))
    return dict(db.movie(recent)) if recent is not None else None
