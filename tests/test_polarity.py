"""Yes/no answers read by their committed polarity (``chatbot.polarity``), through the act
reader every stage uses (``chatbot.acts.intent_of``) and the question-topic reader."""

from __future__ import annotations

import pytest

from chatbot.acts import intent_of, question_topics
from chatbot.cues import clause_tokens


def _intent(text: str) -> str:
    return intent_of(clause_tokens(text))


@pytest.mark.parametrize("text", ["of course not", "certainly not!", "obviously not lol",
                                  "yeah... no, hold on, no", "sure, no", "most definitely not",
                                  "absolutely not, never heard of it"])
def test_intent_affirmed_denial_is_no(text: str) -> None:
    assert _intent(text) == "no"


@pytest.mark.parametrize("text", ["of course", "nope, yes actually", "not bad", "definitely",
                                  "sure thing", "no no, yes"])
def test_intent_yes_stays_yes(text: str) -> None:
    assert _intent(text) == "yes"


def test_intent_hedge_is_no_answer() -> None:
    assert _intent("umm not sure") != "yes"


@pytest.mark.parametrize(("text", "topics"), [
    ("which rating is it and how long", {"runtime", "mpaa"}),
    ("what rating is it, and when did it come out?", {"year", "mpaa"}),
])
def test_question_topics_only_what_is_asked(text: str, topics: set[str]) -> None:
    assert set(question_topics(clause_tokens(text), text)) == topics
