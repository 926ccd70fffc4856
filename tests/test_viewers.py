"""Whose taste a wish is (chatbot.viewers) and titles excluded (chatbot.title_wishes): pure."""

from __future__ import annotations

from chatbot.constraints import has_title_words, holds
from chatbot.viewers import all_of, shared, shared_note, viewer_of, viewer_starts


def test_viewers_another_person_with_a_taste_verb_starts_their_wishes() -> None:
    tokens = "i like comedies , my wife likes thrillers".split()
    assert viewer_starts(tokens) == [(0, "i"), (4, "wife")]
    assert viewer_of(tokens, 2) == "i" and viewer_of(tokens, 7) == "wife"


def test_viewers_the_same_person_twice_is_one_viewer() -> None:
    tokens = "i want a comedy and i like jim carrey".split()
    assert {who for _, who in viewer_starts(tokens)} == {"i"}


def test_viewers_genre_wishes_of_two_people_become_one_any_of_wish() -> None:
    wishes = [{"slot": "genre", "values": ["comedy"], "exclude": False},
              {"slot": "genre", "values": ["horror"], "exclude": True},
              {"slot": "genre", "values": ["thriller"], "exclude": False}]
    merged = shared(wishes, ["i", "i", "wife"])
    assert merged[0]["values"] == ["comedy", "thriller"] and merged[1]["exclude"]
    assert len(merged) == 2 and "both" in shared_note(merged)[0]
    assert all_of(merged) == [{"slot": "genre", "values": ["comedy"], "exclude": False},
                              {"slot": "genre", "values": ["thriller"], "exclude": False},
                              wishes[1]]


def test_viewers_one_persons_wishes_stay_all_of() -> None:
    wishes = [{"slot": "genre", "values": ["romance"], "exclude": False},
              {"slot": "genre", "values": ["comedy"], "exclude": False}]
    assert shared(wishes, ["i", "i"]) == wishes and all_of(wishes) is None


def test_title_wish_words_of_a_title_name_the_franchise() -> None:
    assert has_title_words("Pirates of the Caribbean: At World's End", "pirates")
    assert not has_title_words("The Pirate", "pirates")
    assert not holds({"slot": "title", "values": ["saw"], "exclude": True}, {"title": "Saw II"})
    assert holds({"slot": "title", "values": ["saw"], "exclude": True}, {"title": "Seesaw"})
