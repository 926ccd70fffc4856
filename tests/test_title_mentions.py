"""Films named alone or in passing (chatbot.title_mentions): their words are never wishes."""

from __future__ import annotations

import pytest

from chatbot.cues import clause_tokens
from chatbot.text import english_words
from chatbot.title_mentions import lone_title, title_spans

_TITLES = {"goodfellas": "Goodfellas", "the matrix": "The Matrix", "jaws": "Jaws", "heat": "Heat",
           "scary movie": "Scary Movie", "the family stone": "The Family Stone",
           "grown ups": "Grown Ups", "disaster movie": "Disaster Movie", "before 1960": "Before 1960"}
_FRANCHISES = ("star wars",)
_WISHES = {"scary", "family", "war", "horror", "disaster"}


class _Index:
    def known(self, said: str) -> bool:
        return said in _TITLES or said.removeprefix("the ") in _TITLES or said in _FRANCHISES

    def exact(self, said: str) -> str | None:
        return _TITLES.get(" ".join(said.lower().split()))


def _spans(text: str) -> list[str]:
    tokens = clause_tokens(text)
    found = title_spans(tokens, set(), _Index(), english_words(), is_wish=_WISHES.__contains__)
    return [" ".join(tokens[s:e]) for s, e in found]


@pytest.mark.parametrize(("text", "spans"), [
    ("i first saw star wars in 1977", ["star wars"]),
    ("thriller please, we saw the family stone at christmas", ["the family stone"]),
    ("my kids keep quoting scary movie", []),          # a kind of film: horror
    ("whats a decent disaster movie for tonight", []),  # a kind after "a ..."
    ("an animated film for grown ups", []),             # an everyday phrase after "for"
    ("a war movie released before 1960", []),           # a date, not a title
])
def test_title_spans_take_titles_mentioned_not_kinds_of_film(text: str, spans: list[str]) -> None:
    assert _spans(text) == spans


@pytest.mark.parametrize(("text", "title"), [
    ("goodfellas", "Goodfellas"), ("the matrix!", "The Matrix"), ("hmm jaws", "Jaws"),
    ("heat", None), ("scary movie", None), ("no preference", None),
])
def test_lone_title_is_a_plain_title_and_nothing_else(text: str, title: str | None) -> None:
    assert lone_title(text, _Index().exact, english_words(), _WISHES.__contains__) == title
