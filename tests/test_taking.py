"""Replies to a proposed film that name films: the film taken by name (``chatbot.taking``)
and the films listed beside an answer (``chatbot.answer_lists``). Pure; no catalogue."""

from __future__ import annotations

import pytest

from chatbot.answer_lists import listed_with_answer
from chatbot.taking import taken_film

SHOWN = {1: "A Fistful of Dollars", 2: "The Good, the Bad and the Ugly", 3: "Orlando", 4: "Up"}
KNOWN = ("heat", "ronin", "collateral")


def _titles_at(text: str) -> tuple[list[str], str]:
    """A tiny stand-in for the title index: known titles joined by commas and "and"."""
    found, words = [], text.split()
    while words and words[0].strip(",.").lower() in KNOWN:
        found.append(words.pop(0).strip(",."))
        if words and words[0] == "and":
            words.pop(0)
    return found, " ".join(words)


@pytest.mark.parametrize(("text", "taken"), [
    ("yes, fistful of dollars it is. thanks partner", 1),
    ("nope. ok fine, i'll take orlando. thx", 3),
    ("going with the good the bad and the ugly then", 2),
    ("fistfull of dolars it is", 1),
    ("we'll watch up", 4),
    ("what do critics say about fistful of dollars?", None),
    ("not fistful of dollars, the other one", None),
    ("i would rather not watch orlando", None),
])
def test_taken_film_is_the_one_named_with_words_of_taking(text: str, taken: int | None) -> None:
    assert taken_film(text, SHOWN) == taken


@pytest.mark.parametrize(("text", "titles", "liked"), [
    ("seen it, also Heat, Ronin. anything shorter?", ["Heat", "Ronin"], False),
    ("loved it, and heat and ronin too", ["heat", "ronin"], True),
    ("yes, plus Heat and Collateral, loved both", ["Heat", "Collateral"], True),
    ("i have, and Heat as well", ["Heat"], False),
])
def test_listed_with_answer_finds_every_film_beside_the_answer(text: str, titles: list[str],
                                                                liked: bool) -> None:
    found = listed_with_answer(text, _titles_at)
    assert found is not None and found[0] == titles and found[2] is liked


@pytest.mark.parametrize("text", ["haven't seen it, and Heat?", "yes, Heat", "yes, something shorter"])
def test_listed_with_answer_leaves_other_replies_alone(text: str) -> None:
    assert listed_with_answer(text, _titles_at) is None
