"""Punctuation said aloud (chatbot.dictation) and films taken by what the user calls them
(chatbot.film_choices): pure functions, no catalogue."""

from __future__ import annotations

import pytest

from chatbot.dictation import spoken_marks
from chatbot.film_choices import described_pick, pointed_pick, title_start_pick


@pytest.mark.parametrize(("said", "written"), [
    ("no thrillers, full stop.", "no thrillers."),
    ("a musical comma nothing too long full stop", "a musical, nothing too long."),
    ("is it in colour question mark", "is it in colour?"),
    ("westerns exclamation point", "westerns!"),
    ("animated new line with pixar", "animated. with pixar"),
    ("sci-fi period", "sci-fi."),
])
def test_spoken_marks_writes_the_mark(said: str, written: str) -> None:
    assert spoken_marks(said) == written


@pytest.mark.parametrize("said", ["a period drama", "something set in that period",
                                  "the victorian period in england", "period", "full stop"])
def test_spoken_marks_leaves_words_that_are_no_marks(said: str) -> None:
    assert spoken_marks(said) == said


FILMS = [{"id": 1, "title": "Jaws", "year": 1975, "genres": ["thriller"], "cast": ["Roy Scheider"],
          "directors": ["Steven Spielberg"]},
         {"id": 2, "title": "Jurassic Park", "year": 1993, "genres": ["sci-fi", "adventure"],
          "cast": ["Sam Neill", "Laura Dern"], "directors": ["Steven Spielberg"]}]


@pytest.mark.parametrize(("said", "film"), [
    ("ok the dinosaur one then", None), ("I'll take the jurassic one", 2), ("the shark one", None),
    ("let's go with the laura dern one", 2), ("the older one please", 1), ("the 90s one then", 2),
    ("the sci-fi one", 2), ("the jurassic one was dull", None), ("the first one", None)])
def test_described_pick_takes_the_one_film_described(said: str, film: int | None) -> None:
    assert described_pick(said, FILMS) == film


@pytest.mark.parametrize(("said", "film"), [
    ("I'll go with jurassic then", 2), ("jaws it is", 1), ("jaws please", 1),
    ("films from jurassic then", None), ("I want jurassic films", None)])
def test_title_start_pick_takes_a_title_by_its_start(said: str, film: int | None) -> None:
    assert title_start_pick(said, FILMS) == film


@pytest.mark.parametrize(("said", "taken"), [
    ("ok that one then", True), ("I'll take that one", True), ("that one please", True),
    ("that one was boring", False), ("not that one", False)])
def test_pointed_pick_takes_the_film_pointed_at(said: str, taken: bool) -> None:
    assert pointed_pick(said) is taken
