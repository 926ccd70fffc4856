"""chatbot.spoken: years, ages and ratings said or dictated become the digits the readers
of dates, ages and ratings take; other words stay as they are."""

from __future__ import annotations

import pytest

from chatbot.spoken import spell_spoken


@pytest.mark.parametrize(("said", "written"), [
    ("from nineteen ninety five", "from 1995"),
    ("around nineteen oh eight", "around 1908"),
    ("twenty twelve or later", "2012 or later"),
    ("two thousand and three", "2003"),
    ("two thousand", "2000"),
    ("the nineteen sixties", "the 1960s"),
    ("rated p g thirteen", "rated pg-13"),
    ("p.g. 13 at most", "pg-13 at most"),
    ("n c seventeen", "nc-17"),
    ("for my 4yo", "for my 4 year old"),
    ("my nephew is eleven years old", "my nephew is 11 years old"),
    ("his ninth birthday", "his 9 year old birthday"),
])
def test_spell_spoken_writes_years_ages_and_ratings_in_digits(said: str, written: str) -> None:
    assert spell_spoken(said) == written


@pytest.mark.parametrize("said", [
    "she is one of the best", "seven samurai", "a pg movie", "twelve angry men", "a good one",
])
def test_spell_spoken_leaves_other_number_words(said: str) -> None:
    assert spell_spoken(said) == said
