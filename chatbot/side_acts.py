"""Dialog acts beside the flow of questions: small talk, and questions about the catalogue or
about what else a person of the film on the table made (``chatbot.social``,
``chatbot.questions``). A mixin of ``chatbot.dialog.DialogManager``: each act writes its reply
to ``out`` and asks the open question again, or proposes the film asked for."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from chatbot import nlg
from chatbot.capabilities import capability_reply
from chatbot.components import Components
from chatbot.definitions import definitions_reply
from chatbot.questions import (
    FILMOGRAPHY_FILMS,
    SUPERLATIVE_FILMS,
    age_reply,
    catalogue_miss_reply,
    filmography_reply,
    have_title_reply,
    hint_miss_reply,
    namesake_reply,
    ranked_reply,
)
from chatbot.seen import close_namesake
from chatbot.social import social_reply
from chatbot.text import join_words
from chatbot.titles import split_title_year

_NAMED_KEPT = 12  # films the answers named, kept to be taken by name later


class SideActs:
    """The acts ``social``, ``have_title``, ``catalogue_miss`` and ``filmography``."""

    _parts: Components

    def _ask_again(self, state: dict, rng: random.Random, out: list[str]) -> None:
        raise NotImplementedError  # DialogManager's

    def _propose(self, state: dict, movie: dict, out: list[str]) -> None:
        raise NotImplementedError  # DialogManager's

    def _social(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """Small talk, a laugh, an insult: acknowledged, then back to the open question."""
        out.append(social_reply(str(decision.get("social")), rng))
        self._ask_again(state, rng, out)

    def _capabilities(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"Can you tell me how long a movie is?": what the catalogue lets it tell."""
        out.append(capability_reply(decision))
        self._ask_again(state, rng, out)

    def _define(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"What does PG-13 mean?": the rating's meaning; the open question again."""
        out.extend(definitions_reply(list(decision.get("ratings") or ())))
        self._ask_again(state, rng, out)

    def _have_title(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"Do you have The Proposal?": yes, and it is proposed; a list asked for ("hook or
        e t, do you have those") is answered for each, the first one found proposed."""
        if len(decision.get("titles") or ()) > 1:
            self._have_titles(state, list(decision["titles"]), rng, out)
            return
        movie = self._parts.db.find_title(str(decision.get("title")))
        if movie is None:
            self._catalogue_miss(state, dict(decision, asked=decision.get("title")), rng, out)
            return
        year = split_title_year(str(decision.get("title")))[1]
        if year and movie.get("year") and abs(int(movie["year"]) - year) > 1:  # "Parasite (2019)"
            out.append(f"I don't have the {movie.get('title')} from {year}; mine is from {movie['year']}.")
        else:
            out.append(have_title_reply(movie))
            other = None if year else close_namesake(self._parts.db, movie)
            if other is not None:  # "the parent trap": 1961 or 1998? Say which, and how to ask
                out.append(namesake_reply(movie, other))
        credited = {*(movie.get("cast") or ()), *(movie.get("directors") or ())}
        missing = [p for p in decision.get("people") or () if p not in credited]
        if missing:  # "The Shining, the Spielberg one": the hint does not hold; say so
            out.append(hint_miss_reply(str(movie.get("title")), missing))
        self._propose(state, movie, out)

    def _have_titles(self, state: dict, titles: list[str], rng: random.Random, out: list[str]) -> None:
        found = {said: self._parts.db.find_title(said) for said in titles}
        movies = [m for m in found.values() if m is not None]
        if movies:
            out.append(f"Yes, I have {join_words([_titled(m) for m in movies])}.")
        missing = [said for said, m in found.items() if m is None]
        if missing:
            out.append(catalogue_miss_reply(join_words(missing)))
        if movies:
            self._propose(state, movies[0], out)
        else:
            self._ask_again(state, rng, out)

    def _catalogue_miss(self, state: dict, decision: dict, rng: random.Random,
                        out: list[str]) -> None:
        out.append(catalogue_miss_reply(str(decision.get("asked") or "that")))
        self._ask_again(state, rng, out)

    def _filmography(self, state: dict, decision: dict, rng: random.Random, out: list[str]) -> None:
        """"What else has the lead been in?": the person's other films in the catalogue, then
        the open question again; the film on the table stays."""
        current = state.get("current") or {}
        if decision.get("ranked"):
            self._ranked(state, decision, out)
            self._ask_again(state, rng, out)
            return
        role = str(decision.get("role") or "actor")
        named = list(decision.get("people") or ())
        people = current.get("directors") if role == "director" else current.get("cast")
        name = named[0] if named else next(iter(people or ()), None)
        if name is None:
            out.append(nlg.NO_FILM_YET)
        else:
            years = decision.get("years")  # "what else has Hackman done in the 70s?"
            during = [{"slot": "year", "range": list(years), "exclude": False}] if years else []
            ids = [i for i in self._parts.db.search([{"slot": role, "values": [name],
                                                     "exclude": False}, *during])
                   if i != current.get("id")][:FILMOGRAPHY_FILMS]
            films = [self._parts.db.movie(i) for i in ids]
            # films named in an answer may be taken by name next ("enemy sounds cool, let's do that")
            state["named"] = [*(i for i in state.get("named") or () if i not in ids), *ids][-_NAMED_KEPT:]
            # "Besides <film>, X also directed ...": only when X made the film on the table
            credited = name in (people or ())
            out.append(filmography_reply(name, role, films, current.get("title") if credited else None,
                                         lead=not named, years=years))
        self._ask_again(state, rng, out)

    def _ranked(self, state: dict, decision: dict, out: list[str]) -> None:
        """"Whats the shortest one he did?": the person's film with the least or most of a
        catalogue field, said with its figure."""
        field, largest = decision["ranked"]
        person = _ranked_person(state, decision)
        if person is None:
            out.append(nlg.NO_FILM_YET)
            return
        name, roles = person
        found = [self._parts.db.search([{"slot": r, "values": [name], "exclude": False}])
                 for r in roles]  # a named person: the role with the most films
        ids = max(found, key=len)[:SUPERLATIVE_FILMS]
        films = [self._parts.db.movie(i) for i in ids]
        known = [f for f in films if f.get(field) is not None]
        if field == "critics_meter":  # a figure from a handful of reviews ranks nothing
            known = [f for f in known if (f.get("critics_reviews") or 0) >= 20] or [
                f for f in known if f.get("critics_reviews")]
        best = (max if largest else min)(known, key=lambda f: f[field]) if known else None
        if decision.get("age"):  # "how old is he?": the years of the films are what it has
            last = max(known, key=lambda f: f[field]) if known else None
            out.append(age_reply(name, best, last))
            return
        out.append(ranked_reply(name, field, largest, best))


def _ranked_person(state: dict, decision: dict) -> tuple[str, list[str]] | None:
    """Whom "his"/"her" means: the person named, else the one wished for, else the film on
    the table's director (asked as director) or best-known cast member; with the roles to try."""
    role = decision.get("role")
    named = list(decision.get("people") or ())
    if named:
        return named[0], [role] if role else ["actor", "director"]
    wished = [(w["values"][0], w["slot"]) for w in state.get("wishes") or ()
              if w.get("slot") in ("actor", "director") and not w.get("exclude") and w.get("values")
              and (role is None or w["slot"] == role)]
    if wished:
        return wished[0][0], [wished[0][1]]
    current = state.get("current") or {}
    people = current.get("directors") if role == "director" else current.get("cast")
    name = next(iter(people or ()), None)
    return (str(name), [role or "actor"]) if name else None


def _titled(movie: Mapping[str, Any]) -> str:
    return f"{movie.get('title')} ({movie['year']})" if movie.get("year") else str(movie.get("title"))
