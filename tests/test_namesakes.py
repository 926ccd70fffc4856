"""Names matched to the person meant (chatbot.names, chatbot.nlu): the famous bearer of a
near spelling beats a little-known exact token or a closer spelling; a role question does not
hand a famous name to an obscure namesake in that role; a word after "from" or an everyday
word in a question is no little-known person."""

from __future__ import annotations

from typing import Any

import pytest

from chatbot.catalog import GENRES
from chatbot.names import NameIndex
from chatbot.nlu import Understander

# 160 well-known fillers push the little-known below the most famous ranks (people.NOTABLE_RANK)
FILLERS = {f"Filler Person{i}": 50.0 + i for i in range(160)}
ACTORS = {"Jackie Chan": 46, "Jacky": 1, "Jacki R. Chan": 1, "Jacky Cheung": 3, "Johnny Depp": 50,
          "Jonny Lee Miller": 13, "Morgan Freeman": 68, "Danny DeVito": 40, "Danny": 1,
          "Steven Spielberg": 2, **dict.fromkeys(FILLERS, 10)}
DIRECTORS = {"Morgan J. Freeman": 3, "Morgan Freeman": 1, "Rachel Boston": 1, "Peter Berlin": 1,
             "Sam Fell": 2, "Steven Spielberg": 30, "Jackie Chan": 12}
FAME = {"actor": {"Jackie Chan": 211.2, "Jacky": 0.04, "Jacki R. Chan": 0.1, "Jacky Cheung": 0.9,
                  "Johnny Depp": 250.0, "Jonny Lee Miller": 2.3, "Morgan Freeman": 300.0,
                  "Danny DeVito": 209.0, "Danny": 0.05, "Steven Spielberg": 0.5, **FILLERS},
        "director": {"Morgan J. Freeman": 4.0, "Morgan Freeman": 1.0, "Rachel Boston": 2.5,
                     "Peter Berlin": 1.5, "Sam Fell": 2.4, "Steven Spielberg": 60.0,
                     "Jackie Chan": 12.3, **{f"Director {i}": 30.0 + i for i in range(320)}}}
VOCABULARY: dict[str, Any] = {
    "genres": list(GENRES), "mpaa": ["G", "PG", "PG-13", "R", "NC-17"], "fame": FAME,
    "actors": ACTORS, "directors": DIRECTORS | {f"Director {i}": 5 for i in range(320)},
    "years": [1940, 2014]}


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(VOCABULARY["actors"], VOCABULARY["directors"], fame=FAME)


@pytest.fixture(scope="module")
def nlu() -> Understander:
    return Understander(VOCABULARY)


@pytest.mark.parametrize(("words", "meant"), [
    ("with jacky chan", "Jackie Chan"),  # not the one-word "Jacky", nor Jacki R. Chan one edit away
    ("something with jonny dep", "Johnny Depp"),  # not Jonny Lee Miller by his first name
    ("a comedy with danny devitto", "Danny DeVito"),  # not the one-word "Danny"
])
def test_name_index_famous_near_spelling_beats_little_known_exact_token(
        index: NameIndex, words: str, meant: str) -> None:
    assert [m.name for m in index.find(words.split())] == [meant]


def test_name_index_close_seconds_of_a_famous_match_are_not_offered(index: NameIndex) -> None:
    match = index.find("with jacky chan".split())[0]
    assert match.alternatives == ()  # no "Did you mean Jackie Chan, Jacky Cheung or ...?"


def test_name_index_role_question_keeps_the_famous_bearer(index: NameIndex) -> None:
    match = index.find("morgan freeman".split(), role="director")[0]
    assert match.name == "Morgan Freeman"
    assert index.find("morgan j freeman".split(), role="director")[0].name == "Morgan J. Freeman"


@pytest.mark.parametrize("text", ["a comedy from Boston", "something from Berlin please"])
def test_understander_place_after_from_is_no_little_known_person(nlu: Understander, text: str) -> None:
    assert nlu(text)["people"] == []


def test_understander_famous_name_after_from_is_still_read(nlu: Understander) -> None:
    assert [p["name"] for p in nlu("a film from Spielberg")["people"]] == ["Steven Spielberg"]


def test_understander_everyday_word_in_a_question_is_no_person(nlu: Understander) -> None:
    assert nlu("is it long? my dad fell asleep last time")["people"] == []
