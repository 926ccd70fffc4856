"""People named by a film they are known for, questions to the bot about itself, the feel of
a film, and parts of a wish given up: the pure readings behind the d36 dialog kinds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chatbot.known_from import known_from
from chatbot.self_questions import self_topic
from chatbot.tone_answers import tone_asked, tone_reply
from chatbot.wish_parts import given_up_parts

_FILMS: dict[str, list[dict[str, Any]]] = {
    "jaws": [{"title": "Jaws", "directors": ["Steven Spielberg"],
              "cast": ["Richard Dreyfuss", "Roy Scheider", "Steven Spielberg", "Robert Shaw"]}],
    "the red": [{"title": "Red", "directors": ["Robert Schwentke"], "cast": ["Bruce Willis"]}],
    "the iron mask": [{"title": "The Iron Mask", "directors": ["Allan Dwan"], "cast": ["Douglas Fairbanks"]}],
    "the man in the iron mask": [{"title": "The Man in the Iron Mask", "directors": ["Randall Wallace"],
                                  "cast": ["Leonardo DiCaprio"]}],
    "heat": [{"title": "Heat", "directors": ["Michael Mann"],
              "cast": ["Al Pacino", "Robert De Niro", "Val Kilmer", "Jon Voight"]}],
    "bourne": [{"title": f"The Bourne {n}", "directors": ["Paul Greengrass"],
                "cast": ["Matt Damon", "Brian Cox", f"Someone {n}"]} for n in ("A", "B", "C")],
}


def _films(said: str, plural: bool) -> Sequence[Mapping[str, Any]]:
    key = said.lower().strip()
    films = _FILMS.get(key) or _FILMS.get(key.removeprefix("the "), [])
    return films if plural else films[:1]


@pytest.mark.parametrize(("said", "spelt"), [
    ("the director of jaws", "directed by Steven Spielberg"),
    ("whoever directed Jaws, but funnier", "directed by Steven Spielberg, but funnier"),
    ("that guy from the bourne movies", "with Matt Damon"),
    ("nothing with that actor from the bourne films", "nothing with Matt Damon"),
])
def test_known_from_spells_the_credited_person(said: str, spelt: str) -> None:
    assert known_from(said, _films) == (spelt, [])


def test_known_from_asks_among_the_first_listed_cast_leaving_out_a_director_cameo() -> None:
    text, choices = known_from("the guy from jaws", _films)
    assert choices == ["Richard Dreyfuss", "Roy Scheider", "Robert Shaw"]
    assert text == "with Richard Dreyfuss"


def test_known_from_an_actress_is_asked_among_more_as_the_catalogue_has_no_gender() -> None:
    assert len(known_from("the actress from heat", _films)[1]) == 4


@pytest.mark.parametrize("said", ["who is the director of jaws?", "the guy from nowhere land",
                                  "I loved the ending of jaws", "the girl in the red dress",
                                  "the man in the iron mask", "the one from heat"])
def test_known_from_leaves_questions_unknown_films_and_plain_mentions(said: str) -> None:
    assert known_from(said, _films) == (said, [])


@pytest.mark.parametrize(("said", "topic"), [
    ("how old are you", "age"), ("how old r u", "age"), ("whats your age", "age"),
    ("who made you", "maker"), ("which company built you", "maker"),
    ("where are you from", "home"), ("do you have feelings", "feelings"),
    ("do you even watch movies", "watching"), ("how old is al pacino", None),
    ("who made it", None), ("do you have anything with tom hanks", None),
])
def test_self_topic_reads_questions_to_the_bot_only(said: str, topic: str | None) -> None:
    assert self_topic(said.split()) == topic


@pytest.mark.parametrize(("said", "mood"), [
    ("is it sad", "sad"), ("will it make me cry", "sad"), ("is it a feel good one", "uplifting"),
    ("is it dark", "dark"), ("will it be boring", "boring"),
    ("does it have a happy ending", None), ("who is in it", None),
])
def test_tone_asked_names_the_mood(said: str, mood: str | None) -> None:
    assert tone_asked(said.split()) == mood


def test_tone_reply_answers_from_genres_rating_and_critics_and_says_its_limit() -> None:
    film = {"title": "Titanic", "genres": ["drama", "romance"], "critics_meter": 89}
    said = tone_reply("sad", film, "rated PG-13")
    assert "listed as drama and romance" in said and "89%" in said and "rated PG-13" in said
    assert "can't tell how sad" in said
    assert tone_reply("sad", {"title": "Elf", "genres": ["comedy"]}, "rated PG").startswith(
        "Probably not very sad")


@pytest.mark.parametrize(("said", "plain"), [
    ("scrap the war part", "scrap war"), ("skip the action element", "drop action"),
    ("scratch the family bit please", "drop family please"),
    ("not horror after all", "drop horror"),
    ("ok I changed my mind about the war part", "ok forget the war"),
    ("changed my mind on horror, sorry", "forget the horror, sorry"),
    ("scrap the ending part", "scrap the ending part"),  # no wish: unchanged
])
def test_given_up_parts_spells_a_plain_removal(said: str, plain: str) -> None:
    assert given_up_parts(said, lambda w: w in {"war", "action", "family", "horror"}) == plain
