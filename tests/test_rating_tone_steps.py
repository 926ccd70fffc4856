"""Rating and tone steps against the film on the table, and wishes said again or given up
that change nothing (chatbot.rating_steps, chatbot.tone_steps, chatbot.kept_wishes)."""

from __future__ import annotations

import pytest

from chatbot.cues import clause_tokens
from chatbot.kept_wishes import fits_current, not_wished
from chatbot.rating_steps import rating_step_hits, step_note, stepped_ratings
from chatbot.ratings import names_rating
from chatbot.tone_steps import tone_steps


@pytest.mark.parametrize(("said", "direction"), [
    ("is there one with a lower rating?", "milder"), ("something a bit less mature", "milder"),
    ("a tamer one pls", "milder"), ("more grown-up please", "stronger"),
    ("got anything more adult", "stronger"), ("a little less kiddy", "stronger")])
def test_rating_steps_read_the_direction(said: str, direction: str) -> None:
    hits = rating_step_hits(clause_tokens(said), set())
    assert [h[2]["relative"] for h in hits] == [direction]


def test_rating_steps_count_from_the_films_rating() -> None:
    assert stepped_ratings("milder", "R") == ["G", "PG", "PG-13"]
    assert stepped_ratings("stronger", "PG-13") == ["R", "NC-17"]
    assert stepped_ratings("milder", "G") == ["G"]  # nothing milder: kept, and said so
    assert stepped_ratings("milder", None) is None
    note = step_note({"constraints": [{"slot": "mpaa", "relative": "milder"}]},
                     {"title": "Heat", "mpaa": "R"})
    assert note == ["Heat has an R rating, so I'll look for one below that."]


def test_rating_steps_leave_critics_alone() -> None:
    assert rating_step_hits(clause_tokens("one lower rated by critics"), set()) == []


@pytest.mark.parametrize(("said", "steps"), [
    ("something darker", [("dark", "more")]), ("a lighter one", [("dark", "less")]),
    ("less depressing pls", [("dark", "less")]), ("not as silly", [("silly", "less")]),
    ("more fun", [("dark", "less")]), ("less cheesy", [("cheesy", "less")]),
    ("a comedy with jim carrey", [])])
def test_tone_steps_name_the_mood(said: str, steps: list) -> None:
    assert tone_steps([t for t in clause_tokens(said) if t != ","]) == steps


def test_rating_names_are_never_titles() -> None:
    assert all(names_rating(s) for s in ("r", "g", "pg 13", "nc 17", "rated r", "r rated"))
    assert not names_rating("rocky")


def test_a_wish_given_up_that_was_never_made_is_found() -> None:
    wishes = [{"slot": "genre", "values": ["comedy"], "exclude": False}]
    relaxed = [{"slot": "genre", "values": ["horror"], "exclude": False},
               {"slot": "genre", "values": ["comedy"], "exclude": False}]
    assert not_wished(relaxed, wishes) == [{"slot": "genre", "values": ["horror"], "exclude": False}]


def test_a_repeated_wish_the_film_meets_keeps_it() -> None:
    film = {"id": 1, "title": "Halloween", "mpaa": "R", "genres": ["horror"]}
    wish = {"slot": "mpaa", "values": ["R"], "exclude": False}
    plan = {"added": [wish], "replaced": [], "wishes": [wish]}
    assert fits_current(plan, film, ["r", "rated"])
    assert not fits_current(plan, film, ["another", "one", "r", "rated"])
    assert not fits_current(plan, dict(film, mpaa="PG"), ["r", "rated"])
