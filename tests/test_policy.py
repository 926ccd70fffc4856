"""The dialog policy: a pure function of state, understanding and sentiment."""

from __future__ import annotations

import pytest

from chatbot.policy import decide, slot_fills
from chatbot.sentiment import NEUTRAL, Sentiment


def _nlu(intent: str = "unknown", **entities: object) -> dict:
    return {"intent": intent, "genres": [], "negated_genres": [], "people": [], "mpaa": None,
            "title": None, "rest": "", "empty": False} | entities


def _mood(compound: float) -> dict:
    return dict(NEUTRAL, compound=compound)


@pytest.mark.parametrize(("stage", "nlu", "mood", "act"), [
    ("genre", _nlu(genres=["comedy"]), 0.0, "fill"),
    ("genre", _nlu("no_preference"), 0.0, "skip"),
    ("actor", _nlu("no"), 0.0, "skip"),
    ("actor", _nlu("yes"), 0.0, "clarify"),
    ("director", _nlu("greeting"), 0.0, "greet"),
    ("mpaa", _nlu(), 0.0, "not_understood"),
    ("genre", _nlu(empty=True), 0.0, "empty"),
    ("genre", _nlu("bye"), 0.0, "bye"),
    ("genre", _nlu(title="The Matrix"), 0.0, "fill"),
    ("watched", _nlu("yes"), 0.0, "ask_another"),
    ("watched", _nlu("no"), 0.0, "ask_like"),
    ("watched", _nlu("another"), 0.0, "next"),
    ("watched", _nlu(), 0.0, "not_understood"),
    ("like", _nlu("yes"), 0.0, "accept"),
    ("like", _nlu("no"), 0.0, "reject"),
    ("like", _nlu(), -0.46, "reject"),  # "that sounds awful"
    ("like", _nlu(), 0.62, "accept"),   # "sounds great"
    ("another", _nlu("yes"), 0.0, "next"),
    ("another", _nlu("no"), 0.0, "bye"),
    ("like", _nlu(people=[{"name": "Tom Hanks", "roles": ["actor"], "cue": None}]), 0.0, "refine"),
    ("end", _nlu("yes"), 0.0, "ended"),
])
def test_decide_table(stage: str, nlu: dict, mood: float, act: str) -> None:
    assert decide({"stage": stage}, nlu, _mood(mood))["act"] == act


def test_decide_empathy_once_for_low_mood() -> None:
    nlu = _nlu(rest="I feel so sad and lonely today")
    assert decide({"stage": "genre"}, nlu, _mood(-0.8))["empathy"]
    assert not decide({"stage": "genre", "empathy_shown": True}, nlu, _mood(-0.8))["empathy"]
    assert not decide({"stage": "like"}, _nlu(rest="that sounds awful"), _mood(-0.8))["empathy"]


def test_slot_fills_assigns_people_by_cue_and_question() -> None:
    allen = {"name": "Woody Allen", "roles": ["actor", "director"], "cue": None}
    assert slot_fills("director", _nlu(people=[allen])) == {"director": "Woody Allen"}
    assert slot_fills("genre", _nlu(people=[allen])) == {"actor": "Woody Allen"}
    assert slot_fills("genre", _nlu(genres=["drama"], people=[allen | {"cue": "director"}])) == {
        "genre": ["drama"], "director": "Woody Allen"}
    kubrick = {"name": "Stanley Kubrick", "roles": ["director"], "cue": None}
    assert slot_fills("actor", _nlu(people=[kubrick])) == {"director": "Stanley Kubrick"}


@pytest.mark.parametrize(("text", "sign"), [
    ("that sounds awful", -1), ("I love it", 1), ("", 0), ("\x00", 0),
])
def test_sentiment_scores(text: str, sign: int) -> None:
    scores = Sentiment()(text)
    assert set(scores) == {"neg", "neu", "pos", "compound"}
    assert (scores["compound"] > 0.05) - (scores["compound"] < -0.05) == sign
