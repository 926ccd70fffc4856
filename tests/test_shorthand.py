"""Texting shorthand and learners' phrasings are spelt out before the understanding reads them."""

from __future__ import annotations

import pytest

from chatbot.shorthand import spell_shorthand


@pytest.mark.parametrize(("text", "spelt"), [
    ("smth w/o jackie chan pls", "smth without jackie chan pls"),
    ("comedy wo/ romance", "comedy without romance"),
    ("a thriller w/out gore", "a thriller without gore"),
    ("something w/ keanu", "something with  keanu"),
    ("nothin 2 gory", "nothing too gory"),
    ("a film from the 90 years", "a film from the 90s"),
    ("9/10 would watch again", "loved it would watch again"),
    ("6 out of 10 tbh", "so so tbh"),
    ("2/10", "bad"),
])
def test_spell_shorthand_reads_texting_as_words(text: str, spelt: str) -> None:
    assert spell_shorthand(text) == spelt


@pytest.mark.parametrize("text", ["part 2 of the series", "the last 20 years", "a 90 years old man",
                                  "2 hours max", "released 1/10/1999"])
def test_spell_shorthand_leaves_numbers_that_are_no_shorthand(text: str) -> None:
    assert spell_shorthand(text) == text
