"""Past viewings told of a film and who watched or liked it (chatbot.viewings)."""

from __future__ import annotations

import pytest

from chatbot.viewings import Seer, liked_back, seen_by_sentence, seer, without_circumstances


@pytest.mark.parametrize(("said", "kept"), [
    ("i watched it in college", "i watched it"),
    ("saw it at the cinema when it came out", "saw it"),
    ("watched that in high school lol", "watched that lol"),
    ("saw it in college but i want something newer", "saw it but i want something newer"),
    ("i remember watching it at my grandmas", "i watched it"),
    ("seen it, in the 90s", "seen it, in the 90s"),  # a new clause after the comma stays
])
def test_where_and_when_a_film_was_watched_is_left_out(said: str, kept: str) -> None:
    assert without_circumstances(said) == kept


@pytest.mark.parametrize(("said", "who"), [
    ("my son has seen big", Seer("your son", False)),
    ("my kids have already seen toy story", Seer("your kids", True)),
    ("both my kids loved that one", Seer("your kids", True)),
    ("she's seen it", Seer("she", False)),
    ("the kids watched cars", Seer("the kids", True)),
    ("my son and i have both seen big", None),
    ("i have seen big", None),
])
def test_who_saw_or_liked_it(said: str, who: Seer | None) -> None:
    assert seer(said) == who


def test_someone_else_is_named_in_the_reply() -> None:
    assert seen_by_sentence("Big", "it", Seer("your son", False)) == "Your son has seen Big, so I'll leave it out."
    assert seen_by_sentence("Cars and Up", "them", Seer("the kids", True)).startswith("The kids have seen")


@pytest.mark.parametrize(("rest", "liked"), [
    (", loved it", True), (", something similar?", True), ("and it was so good", True),
    (", didnt like it", False), (", not again", False),
])
def test_a_film_seen_liked_in_the_same_message(rest: str, liked: bool) -> None:
    assert liked_back(rest) is liked
