"""Who the simulated users are and what they say. Pure: no IO, randomness injected.

A ``Persona`` holds its wishes and its answers; a ``Script`` plays it against the bot's
replies, one turn at a time, by recognising which question the bot just asked. Example::

    persona = make_persona("decisive", random.Random(1))
    script = Script(persona)
    script.next_text(None)                      # '' (opens the conversation)
    script.next_text(["Hi, I'm Chatbot...", "Which genre are you in the mood for?"])
    # 'a comedy with Jim Carrey'  (and script.stated == {'genre': ['comedy'], 'actor': ...})

The four kinds (``MIX`` gives their shares):

- ``decisive`` names its wishes: a genre with an actor, a director or not, an MPAA rating;
- ``no_preference`` answers "no preference" (or a synonym) to every question;
- ``picky`` names a genre, then rejects two or three proposed films before accepting one;
- ``confused`` first says things the bot cannot understand, then answers like the decisive.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chatbot import nlg
from chatbot.text import indefinite_article

SLOTS = nlg.SLOTS
MIX: dict[str, float] = {"decisive": 0.4, "no_preference": 0.2, "picky": 0.2, "confused": 0.2}


@dataclass(frozen=True)
class Wish:
    """Wishes that some well-known film of the catalogue meets (checked by the tests)."""

    genre: str
    actor: str | None
    director: str | None
    mpaa: str


WISHES: tuple[Wish, ...] = (
    Wish("comedy", "Jim Carrey", None, "PG-13"),
    Wish("drama", "Tom Hanks", "Robert Zemeckis", "PG-13"),
    Wish("crime", "Morgan Freeman", None, "R"),
    Wish("sci-fi", "Harrison Ford", "George Lucas", "PG"),
    Wish("action", None, "Steven Spielberg", "PG"),
    Wish("thriller", "Brad Pitt", "David Fincher", "R"),
    Wish("crime", "Al Pacino", "Francis Ford Coppola", "R"),
    Wish("adventure", "Tom Hanks", "Robert Zemeckis", "PG-13"),
    Wish("war", "Tom Hanks", "Steven Spielberg", "R"),
    Wish("horror", "Bruce Willis", "M. Night Shyamalan", "PG-13"),
    Wish("fantasy", "Elijah Wood", "Peter Jackson", "PG-13"),
    Wish("action", "Keanu Reeves", None, "R"),
)
PICKY_GENRES = ("drama", "comedy", "thriller", "action", "romance", "crime")
NO_PREFERENCE = ("no preference", "I don't care", "surprise me", "no preference at all")
GIBBERISH = ("blorf quux", "qwzx vbnm", "zzzz", "hmm grmbl")


@dataclass(frozen=True)
class Answer:
    """A text to send and the wishes it states (``{slot: value}``; genre as a list)."""

    text: str
    stated: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Persona:
    """A simulated user: what to answer to each slot question, after how many not-understood
    utterances, and how many proposed films to reject before accepting one."""

    kind: str
    answers: dict[str, Answer]
    gibberish: tuple[str, ...] = ()
    rejections: int = 0

    @property
    def wishes(self) -> dict[str, Any]:
        """Every wish this persona states over the conversation."""
        merged: dict[str, Any] = {}
        for answer in self.answers.values():
            merged.update(answer.stated)
        return merged


def make_persona(kind: str, rng: random.Random) -> Persona:
    """A persona of ``kind`` (a key of ``MIX``) with choices drawn from ``rng``."""
    if kind == "decisive":
        return Persona(kind, _decisive_answers(rng.choice(WISHES), rng))
    if kind == "no_preference":
        return Persona(kind, {slot: Answer(rng.choice(NO_PREFERENCE)) for slot in SLOTS})
    if kind == "picky":
        genre = rng.choice(PICKY_GENRES)
        answers = {slot: Answer("no preference") for slot in SLOTS}
        answers["genre"] = Answer(f"I want a {genre} movie", {"genre": [genre]})
        return Persona(kind, answers, rejections=rng.choice((2, 3)))
    if kind == "confused":
        gibberish = tuple(rng.sample(GIBBERISH, rng.choice((1, 2))))
        return Persona(kind, _decisive_answers(rng.choice(WISHES), rng), gibberish=gibberish)
    raise ValueError(f"kind: {kind!r} is not a persona; choose one of {sorted(MIX)}")


def pick_kind(rng: random.Random, mix: dict[str, float] = MIX) -> str:
    """A persona kind drawn with the shares of ``mix``."""
    kinds = sorted(mix)
    return rng.choices(kinds, weights=[mix[k] for k in kinds])[0]


def _decisive_answers(wish: Wish, rng: random.Random) -> dict[str, Answer]:
    answers = {slot: Answer("no preference") for slot in SLOTS}
    if wish.actor:
        article = indefinite_article(wish.genre)
        answers["genre"] = Answer(f"{article} {wish.genre} with {wish.actor}",
                                  {"genre": [wish.genre], "actor": wish.actor})
    else:
        answers["genre"] = Answer(f"{wish.genre} please", {"genre": [wish.genre]})
    if wish.director:
        phrase = rng.choice(("directed by {}", "the director {}"))
        answers["director"] = Answer(phrase.format(wish.director), {"director": wish.director})
    answers["mpaa"] = Answer(rng.choice((f"rated {wish.mpaa}", wish.mpaa)), {"mpaa": wish.mpaa})
    return answers


# -- recognising what the bot asked ----------------------------------------------------------

_QUESTIONS: dict[str, str] = {
    **{text: slot for slot, texts in nlg.QUESTIONS.items() for text in texts},
    **{text: slot for slot, texts in nlg.CLARIFY.items() for text in texts},
    nlg.WATCHED: "watched", nlg.LIKE: "like", nlg.ANOTHER: "another",
}


def asked(messages: Sequence[str]) -> str | None:
    """What the last question among ``messages`` asks: a slot, ``watched``, ``like``,
    ``another``; None if there is none. Example: ``asked([..., nlg.LIKE])`` -> ``'like'``."""
    for message in reversed(messages):
        if message in _QUESTIONS:
            return _QUESTIONS[message]
    return None


class Script:
    """Plays a persona: ``next_text(messages of the last reply)`` -> what to say, or None when
    there is no question left to answer. ``stated`` holds the wishes of the text last returned."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.stated: dict[str, Any] = {}
        self.gibberish_sent = 0
        self.rejected = 0

    def next_text(self, messages: Sequence[str] | None) -> str | None:
        self.stated = {}
        if messages is None:
            return ""
        question = asked(messages)
        if question in SLOTS:
            return self._answer_slot(question)
        if question == "watched":
            return "no"
        if question == "like":
            return self._like()
        if question == "another":
            return "yes" if self.rejected < self.persona.rejections else "no"
        return None

    def _answer_slot(self, slot: str) -> str:
        if self.gibberish_sent < len(self.persona.gibberish):
            self.gibberish_sent += 1
            return self.persona.gibberish[self.gibberish_sent - 1]
        answer = self.persona.answers[slot]
        self.stated = dict(answer.stated)
        return answer.text

    def _like(self) -> str:
        if self.rejected < self.persona.rejections:
            self.rejected += 1
            return "no"
        return "yes"
