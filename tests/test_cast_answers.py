"""Cast answers: a film with no cast in the source says so; "is X good in it?" is no yes."""

from __future__ import annotations

import pytest

from chatbot.answers import answer

_FILM = {"title": "Night Train", "year": 1999, "cast": ["Ann Lee", "Bo Diaz", "Cy Moss"],
         "directors": ["Dee Park"]}


@pytest.mark.parametrize("topics", [["cast"], ["leads"]])
def test_answer_a_film_without_cast_says_the_catalogue_lists_none(topics: list[str]) -> None:
    said = " ".join(answer(topics, {"title": "Toy Story", "cast": []}))
    assert "The catalogue lists no cast for Toy Story" in said
    assert "I don't know" not in said


@pytest.mark.parametrize("name", ["Ann Lee", "Cy Moss"])
def test_answer_is_x_good_in_it_is_a_fact_not_a_yes(name: str) -> None:
    said = answer(["person", "quality"], _FILM, people=[{"name": name}])
    assert not said[0].startswith("Yes"), said
    assert name in said[0] and "performances" in said[0]


def test_answer_is_x_in_it_still_says_yes() -> None:
    assert answer(["person"], _FILM, people=[{"name": "Bo Diaz"}])[0].startswith("Yes, Bo Diaz")
    assert answer(["person", "quality"], _FILM, people=[{"name": "Zed Zee"}])[0].startswith("No, Zed Zee")
