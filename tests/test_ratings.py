"""MPAA ratings said as names, bounds, ages or "kid-friendly" (chatbot.ratings)."""

from __future__ import annotations

import pytest

from chatbot.cues import clause_tokens, negation_mask
from chatbot.ratings import ORDER, rating_hits


def _ratings(text: str, expect: str | None = None) -> list[tuple[list[str], bool]]:
    tokens = clause_tokens(text)
    hits = rating_hits(tokens, negation_mask(tokens), ORDER, expect)
    return [(c["values"], fixed) for _s, _e, c, fixed in hits]


@pytest.mark.parametrize(("text", "values"), [
    ("nothing above PG-13", ["G", "PG", "PG-13"]),
    ("PG-13 at most", ["G", "PG", "PG-13"]),
    ("at most PG", ["G", "PG"]),
    ("no higher than PG", ["G", "PG"]),
    ("R or lower", ["G", "PG", "PG-13", "R"]),
    ("under R", ["G", "PG", "PG-13"]),
    ("no more than PG-13 please", ["G", "PG", "PG-13"]),
    ("PG-13 or higher", ["PG-13", "R", "NC-17"]),
    ("kid-friendly", ["G", "PG"]),
    ("something ok for the kids", ["G", "PG"]),
    ("for my 9 year old", ["G", "PG"]),
    ("movie night with my 14 yo niece", ["G", "PG", "PG-13"]),
])
def test_bounds_ages_and_friendly_allow_a_set_of_ratings(text: str, values: list[str]) -> None:
    assert _ratings(text) == [(values, True)]


def test_plain_ratings_keep_their_polarity_for_the_negation_scope() -> None:
    assert _ratings("rated R") == [(["R"], False)]
    assert _ratings("anything but R") == [(["R"], False)]  # the caller applies "but"
    assert _ratings("PG-13 or R") == [(["PG-13"], False), (["R"], False)]
    assert _ratings("R", expect="mpaa") == [(["R"], False)]
    assert _ratings("R") == [(["R"], False)]  # a message of one rating letter is a rating at any question
    assert _ratings("r u there") == []  # a lone letter inside other words is one only where one was asked


def test_an_age_is_read_only_as_whom_the_film_is_for() -> None:
    assert _ratings("my 5 year old is asleep") == []
    assert _ratings("for my 18 year old") == []  # an adult: no bound
