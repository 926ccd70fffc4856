"""What a "no", "not", "except" or a date applies to (chatbot.scope, chatbot.asides), read
through the understander: stressed full stops, negative questions, concessions, a "no" that
answers "Did you mean X?", asides about the user's life, and content words of a genre."""

from __future__ import annotations

from typing import Any

import pytest

from chatbot.asides import aside_mask
from chatbot.catalog import GENRES
from chatbot.cues import clause_tokens
from chatbot.nlu import Understander
from chatbot.policy import decide
from chatbot.scope import as_asked, concession_mask, unstressed
from chatbot.wishes import plan_wishes
from tests.chatbot_helpers import wishes_of

VOCABULARY: dict[str, Any] = {
    "genres": list(GENRES), "mpaa": ["G", "PG", "PG-13", "R", "NC-17"],
    "actors": {"Jesse Eisenberg": 20, "Bill Murray": 50, "Ryan Gosling": 20, "Emma Stone": 25,
               "Emma Thompson": 40, "Steve Martin": 42, "Tom Hanks": 60},
    "directors": {"Steven Spielberg": 30}, "years": [1940, 2014]}
NEUTRAL = {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}


@pytest.fixture(scope="module")
def nlu() -> Understander:
    return Understander(VOCABULARY)




@pytest.mark.parametrize(("text", "plain"), [
    ("ANY. OF. THEM. EXCEPT. R.", "ANY OF THEM EXCEPT R."),
    ("NO. MORE. HORROR. PLEASE!", "NO MORE HORROR PLEASE!"),
    ("I liked it. A lot. Thanks.", "I liked it. A lot. Thanks."),  # sentences, not stress
    ("Yes. Thanks.", "Yes. Thanks."),
])
def test_unstressed_joins_runs_of_one_word_sentences(text: str, plain: str) -> None:
    assert unstressed(text) == plain


@pytest.mark.parametrize(("text", "expect", "wishes"), [
    ("ALL. BUT. NC-17.", "mpaa", [("mpaa", ("NC-17",), True)]),
    ("NOTHING. RATED. R. THANKS.", "mpaa", [("mpaa", ("R",), True)]),
    ("NO. MORE. HORROR.", "genre", [("genre", ("horror",), True)]),
])
def test_understander_stressed_exclusion_reaches_its_value(nlu: Understander, text: str,
                                                           expect: str, wishes: list) -> None:
    assert wishes_of(nlu(text, expect)) == wishes


@pytest.mark.parametrize("text", ["wait isnt jesse eisenberg in that",
                                  "hmm, isn't Bill Murray in this one?",
                                  "doesn't it have Bill Murray in it"])
def test_understander_negative_question_asks_and_excludes_nobody(nlu: Understander, text: str) -> None:
    result = nlu(text)
    assert result["interrogative"] and result["intent"] != "no"
    assert [p["negated"] for p in result["people"]] == [False]


def test_as_asked_keeps_statements_and_question_tags() -> None:
    assert as_asked(clause_tokens("anything that isnt R")) == clause_tokens("anything that isnt R")
    assert as_asked(clause_tokens("dont want horror")) == clause_tokens("dont want horror")
    tagged = clause_tokens("it's the one with Bill Murray, isn't it?")
    assert as_asked(tagged) == tagged


def test_understander_concession_neither_wishes_nor_excludes(nlu: Understander) -> None:
    result = nlu("something with gosling even if its not sci-fi")
    # given up, not refused: "even if it's not sci-fi" (a refused relax drops a refusal instead)
    assert wishes_of(result) == [] and result["relaxed"] == [
        {"slot": "genre", "values": ["sci-fi"], "exclude": False, "refused": False}]
    assert wishes_of(nlu("i don't care if it's rated R, no horror though")) == [
        ("genre", ("horror",), True)]
    assert concession_mask(clause_tokens("fine if it's old, but a comedy")) == [
        True, True, True, True, False, False, False, False]


def test_plan_wishes_concession_gives_the_earlier_wish_up(nlu: Understander) -> None:
    state = {"stage": "like", "wishes": [{"slot": "genre", "values": ["sci-fi"], "exclude": False}]}
    plan = plan_wishes(state, nlu("what about something with gosling even if it's not sci-fi"))
    assert plan["wishes"] == [{"slot": "actor", "values": ["Ryan Gosling"], "exclude": False}]


def test_policy_no_and_a_name_answering_did_you_mean_names_who_was_meant(nlu: Understander) -> None:
    suggestion = {"name": "Emma Thompson", "slot": "actor",
                  "constraint": {"slot": "actor", "values": ["Emma Thompson"], "exclude": False}}
    state = {"stage": "actor", "wishes": [], "suggestion": suggestion}
    decision = decide(state, nlu("no emma stone", "actor"), NEUTRAL)
    assert {"slot": "actor", "values": ["Emma Stone"], "exclude": False} in decision["wishes"]
    declined = decide(state, nlu("no", "actor"), NEUTRAL)
    assert declined["act"] == "decline"


def test_understander_no_and_a_name_is_still_an_exclusion_without_a_suggestion(nlu: Understander) -> None:
    assert nlu("no emma stone", "actor")["people"][0]["negated"] is True


@pytest.mark.parametrize(("text", "aside"), [
    ("he passed away last year", True), ("we moved here in 2010", True),
    ("my son was born in 2005 so something for him", True),
    ("i want something from last year", False), ("i loved 80s comedies", False),
    ("the last 10 years", False), ("something from the 90s", False),
])
def test_aside_mask_dates_of_the_users_life(text: str, aside: bool) -> None:
    genres = {"comedies", "comedy"}
    tokens = clause_tokens(text)
    dated = [i for i, t in enumerate(tokens) if t[:1].isdigit() or t in ("last", "the")]
    assert aside_mask(tokens, genres.__contains__)[dated[0]] is aside


def test_understander_aside_date_is_no_wish_but_the_name_is(nlu: Understander) -> None:
    result = nlu("my brother used to love Steve Martin films, he passed away last year", "actor")
    assert wishes_of(result) == [] and [p["name"] for p in result["people"]] == ["Steve Martin"]


@pytest.mark.parametrize(("text", "genres"), [
    ("a film of space battles", [("genre", ("sci-fi",), False), ("genre", ("action",), False)]),
    ("zombie soldiers", [("genre", ("horror",), False), ("genre", ("action",), False)]),
    ("epic battles", [("genre", ("war",), False)]),
    ("a military drama", [("genre", ("war",), False), ("genre", ("drama",), False)]),
])
def test_understander_content_word_takes_its_modifiers_genre(nlu: Understander, text: str,
                                                             genres: list) -> None:
    assert wishes_of(nlu(text)) == genres
