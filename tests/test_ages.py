"""A film's age said against a film (``chatbot.ages``) and a film liked but not to be shown
again (``chatbot.liking``): pure, no catalogue needed."""

from __future__ import annotations

import pytest

from chatbot.ages import age_hits, years_old
from chatbot.cues import clause_tokens
from chatbot.liking import liked_seen, not_again

TITLES = {"rear window": "Rear Window", "jaws": "Jaws", "titanic": "Titanic",
          "the terminator": "The Terminator", "terminator": "The Terminator",
          "before sunrise": "Before Sunrise", "sunrise": "Sunrise"}


def _hits(text: str) -> tuple[list[str], str | None]:
    hits, title = age_hits(clause_tokens(text), TITLES.get)
    return [h[2]["relative"] for h in hits], title


@pytest.mark.parametrize(("text", "relative", "title"), [
    ("ugh, ancient", ["newer"], None),
    ("it's so old lol", ["newer"], None),
    ("something more recent than that", ["newer"], None),
    ("less dated please", ["newer"], None),
    ("Rear Window is way too old for me", ["newer"], "Rear Window"),
    ("older than Jaws is fine", ["older"], "Jaws"),
    ("something before Titanic", ["older"], "Titanic"),
    ("anything after that one", ["newer"], None),
    ("old as dirt", ["newer"], None),
])
def test_age_hits_read_the_direction_and_the_film(text: str, relative: list[str], title: str | None) -> None:
    assert _hits(text) == (relative, title)


@pytest.mark.parametrize("text", [
    "something set in ancient rome", "a movie as old as my dad", "it's not ancient",
    "older than 1941", "newer than Terminator 2", "older than 10 years",
    "do you have before sunrise",  # a title, not "older than Sunrise"
])
def test_age_hits_leave_other_words_alone(text: str) -> None:
    assert _hits(text) == ([], None)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("less than 10 years old", 2005, None), ("under five years old", 2010, None),
    ("over 30 years old", None, 1984), ("not older than 10 years", None, 2004),
])
def test_years_old_count_back_from_the_last_year(text: str, first: int | None, last: int | None) -> None:
    (_, _, wish), = years_old(clause_tokens(text), 2014)
    assert wish["range"] == [first, last]


def test_years_old_is_no_runtime() -> None:
    assert years_old(clause_tokens("a film over 2 hours"), 2014) == []
    assert years_old(clause_tokens("over 2 years"), 2014) == []


@pytest.mark.parametrize(("text", "again"), [
    ("I loved it, just don't show me that one", True), ("seen it twice, loved it", True),
    ("watched it a hundred times", True), ("amazing movie but not that one again", True),
    ("loved it", False), ("haven't seen it twice", False), ("show me another one", False),
])
def test_not_again_table(text: str, again: bool) -> None:
    assert not_again(clause_tokens(text)) is again


def test_liked_seen_turns_an_acceptance_into_the_next_film_keeping_the_taste() -> None:
    nlu = {"verdict": "liked", "not_again": True, "intent": "no"}
    decision = liked_seen({"act": "accept"}, nlu, 0.6)
    assert decision == {"act": "next", "keep_taste": True, "reject": False}
    assert liked_seen({"act": "accept"}, {"verdict": "liked"}, 0.6) is None  # liked, not seen: taken
    assert liked_seen({"act": "reject"}, {"verdict": "disliked", "watching": "yes"}, -0.6) is None
