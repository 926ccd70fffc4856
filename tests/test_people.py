"""The roles a name alone fills (chatbot.people) and near words (chatbot.spelling)."""

from __future__ import annotations

from chatbot.people import merge_people
from chatbot.spelling import NearWords
from chatbot.text import expand_shorthand


def test_merge_people_known_for_the_role_where_their_fame_ranks_far_higher() -> None:
    actors = {f"Actor {i}": 50 - i for i in range(40)} | {"Al Pacino": 44, "Both Ways": 35}
    directors = {f"Director {i}": 90 - i for i in range(60)} | {"Al Pacino": 2, "Both Ways": 80}
    people = {p.name: p for p in merge_people(actors, directors)}
    assert people["Al Pacino"].known_for == ("actor",)  # ~1st of actors, last of directors
    assert people["Both Ways"].known_for == ("actor", "director")  # close ranks: both
    assert people["Director 3"].known_for == ("director",)
    assert people["Al Pacino"].notable == ()  # without fame nobody is notable


def test_near_words_within_one_typo_and_two_for_long_words() -> None:
    near = NearWords(["hanks", "banks", "schwarzenegger"])
    assert near.near("hankz") == [("hanks", 1)]
    assert near.near("schwarzeneger") == [("schwarzenegger", 1)]
    assert near.near("hunks") == [("hanks", 1)] and near.near("hxnkz") == []
    assert near.near("x" * 2000) == []  # no search for what nothing can be near


def test_expand_shorthand_whole_words_in_any_case() -> None:
    words = {"smth": "something", "sth": "something"}
    assert expand_shorthand("Smth like Alien, sth old", words) == "something like Alien, something old"
    assert expand_shorthand("smthx and psth", words) == "smthx and psth"
