"""The dialog policy: a pure function of state, understanding and sentiment."""

from __future__ import annotations

from typing import Any

import pytest

from chatbot.policy import decide, plan_wishes, slot_fills
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


# -- wishes: how a new wish combines with earlier ones (issue 17) ---------------------------

def _c(slot: str, *values: str, exclude: bool = False) -> dict:
    return {"slot": slot, "values": list(values), "exclude": exclude}


def _person(name: str, *roles: str, **extra: object) -> dict:
    return {"name": name, "roles": list(roles), "cue": None, "negated": False, "sure": True,
            "group": 0} | extra


def _plan(wishes: list, stage: str = "genre", **nlu: Any) -> dict:
    return plan_wishes({"stage": stage, "wishes": wishes}, _nlu(**nlu))


def test_plan_an_added_wish_adds() -> None:
    plan = _plan([_c("genre", "horror")], "actor", constraints=[_c("genre", "comedy")],
                 addition=True)
    assert plan["wishes"] == [_c("genre", "horror"), _c("genre", "comedy")]
    assert plan["replaced"] == []


def test_plan_a_correction_replaces_the_slot_it_names() -> None:
    plan = _plan([_c("genre", "comedy"), _c("actor", "Jim Carrey")], "like",
                 constraints=[_c("genre", "thriller")], correction=True)
    assert plan["wishes"] == [_c("actor", "Jim Carrey"), _c("genre", "thriller")]
    assert plan["replaced"] == [_c("genre", "comedy")]


def test_plan_a_corrected_person_keeps_the_retracted_persons_slot() -> None:
    people = [_person("Tom Hanks", "actor", "director"),
              _person("Tom Cruise", "actor", negated=True, group=1)]
    plan = _plan([_c("actor", "Tom Cruise")], "director", people=people, correction=True)
    assert _c("actor", "Tom Hanks") in plan["wishes"]
    assert not any(w["slot"] == "director" for w in plan["wishes"])
    assert plan["replaced"] == [_c("actor", "Tom Cruise")]


def test_plan_a_rating_year_or_director_replaces_the_earlier_one() -> None:
    year = {"slot": "year", "range": [1990, 1999], "exclude": False}
    plan = _plan([_c("mpaa", "R"), {"slot": "year", "range": [1980, 1989], "exclude": False}],
                 "like", constraints=[_c("mpaa", "PG-13"), year])
    assert plan["wishes"] == [_c("mpaa", "PG-13"), year]


def test_plan_the_later_of_two_contradicting_wishes_wins() -> None:
    unexcluded = _plan([_c("genre", "comedy", exclude=True)], "like",
                       constraints=[_c("genre", "comedy")])
    assert unexcluded["wishes"] == [_c("genre", "comedy")]
    excluded = _plan([_c("actor", "Ben Stiller")], "mpaa",
                     people=[_person("Ben Stiller", "actor", negated=True)])
    assert excluded["wishes"] == [_c("actor", "Ben Stiller", exclude=True)]


def test_plan_or_makes_one_any_of_wish_and_unsure_names_are_suggested() -> None:
    people = [_person("Tom Hanks", "actor"), _person("Harrison Ford", "actor"),
              _person("Denzel Washington", "actor", sure=False, group=1)]
    plan = _plan([], "actor", people=people)
    assert plan["wishes"] == [_c("actor", "Tom Hanks", "Harrison Ford")]
    assert plan["suggest"]["name"] == "Denzel Washington" and plan["suggest"]["slot"] == "actor"


@pytest.mark.parametrize(("state", "nlu", "act"), [
    ({"stage": "actor", "suggestion": {"name": "Tom Hanks", "slot": "actor",
                                       "constraint": _c("actor", "Tom Hanks")}},
     _nlu("yes"), "fill"),
    ({"stage": "actor", "suggestion": {"name": "Tom Hanks", "slot": "actor",
                                       "constraint": _c("actor", "Tom Hanks")}},
     _nlu("no"), "decline"),
    ({"stage": "watched", "current": {"id": 1}}, _nlu("unknown", question=["cast"]), "answer"),
    ({"stage": "like", "current": {"id": 1}}, _nlu("no_preference", question=["quality"]),
     "answer"),
    ({"stage": "genre"}, _nlu(people=[_person("Tom Hanx", "actor", sure=False)]), "suggest"),
])
def test_decide_suggestions_and_questions(state: dict, nlu: dict, act: str) -> None:
    assert decide(state, nlu, NEUTRAL)["act"] == act


def test_decide_no_preference_with_a_volunteered_wish_skips_the_question() -> None:
    nlu = _nlu("no_preference", people=[_person("David Fincher", "director", cue="director")])
    decision = decide({"stage": "actor", "wishes": []}, nlu, NEUTRAL)
    assert decision["act"] == "fill" and decision["skip"]
    assert decision["wishes"] == [_c("director", "David Fincher")]


# -- what an utterance does comes before its words ---------------
_ON_TABLE = {"current": {"id": 1, "title": "Pulp Fiction", "year": 1994}, "wishes": []}
_WILLIS = {"name": "Bruce Willis", "roles": ["actor"], "cue": None, "sure": True}


@pytest.mark.parametrize(("nlu", "topics"), [
    (_nlu(interrogative=True, about_film=True, people=[_WILLIS]), ["person"]),
    (_nlu(interrogative=True, about_film=True,
          constraints=[{"slot": "genre", "values": ["romance"], "exclude": False}]), ["genre_check"]),
    (_nlu(interrogative=True, about_film=True), ["other"]),   # "does it end happily?"
    (_nlu(question=["cast"]), ["cast"]),                      # "cast?"
    (_nlu(question=["history"]), ["history"]),
])
def test_questions_about_the_film_on_the_table_are_answered(nlu: dict, topics: list) -> None:
    for stage in ("watched", "like", "another"):
        decision = decide(_ON_TABLE | {"stage": stage}, nlu, _mood(0.0))
        assert (decision["act"], decision["topics"]) == ("answer", topics)


def test_a_question_asking_for_another_film_is_a_wish() -> None:
    nlu = _nlu(interrogative=True, about_film=False, request=True, people=[_WILLIS])
    assert decide(_ON_TABLE | {"stage": "like"}, nlu, _mood(0.0))["act"] == "refine"


def test_a_question_naming_a_film_is_answered_at_any_stage() -> None:
    nlu = _nlu(question=["quality"], asked_title="Titanic", interrogative=True)
    for stage in ("genre", "actor", "watched"):
        decision = decide(_ON_TABLE | {"stage": stage}, nlu, _mood(0.0))
        assert (decision["act"], decision["title"]) == ("answer", "Titanic")


@pytest.mark.parametrize(("stage", "nlu", "act"), [
    ("watched", _nlu(watching="yes", genres=["family"]), "ask_another"),     # "saw it as a kid"
    ("watched", _nlu("yes", constraints=[{"slot": "year", "range": [1990, 1999], "exclude": False}],
                     words=["yes", ",", "in", "the", "90s"]), "ask_another"),  # "yes, in the 90s"
    ("watched", _nlu(watching="partly"), "ask_like"),                          # "only the trailer"
    ("watched", _nlu("no", verdict="disliked"), "reject"),                     # "not my thing"
    ("watched", _nlu(verdict="liked"), "accept"),                              # "she'd love it"
    ("like", _nlu("yes", verdict="disliked"), "reject"),                       # "yeah it sucks"
    ("like", _nlu("no", verdict="liked"), "accept"),                           # "nah that's perfect"
    ("like", _nlu("no_preference"), "reject"),                                 # "meh"
    ("like", _nlu("yes", request=True, genres=["comedy"]), "refine"),          # "yes, but a comedy"
    ("another", _nlu("yes", genres=["comedy"]), "refine"),                     # "yes, a comedy"
])
def test_answers_while_a_film_is_proposed(stage: str, nlu: dict, act: str) -> None:
    assert decide(_ON_TABLE | {"stage": stage}, nlu, _mood(0.0))["act"] == act


def test_yes_with_a_bad_tone_is_a_no() -> None:
    assert decide(_ON_TABLE | {"stage": "like"}, _nlu("yes"), _mood(-0.5))["act"] == "reject"


def test_restart_at_any_stage_even_after_the_end() -> None:
    for stage in ("genre", "mpaa", "watched", "end"):
        assert decide({"stage": stage}, _nlu("restart"), _mood(0.0))["act"] == "restart"


def test_a_person_known_for_the_other_role_fills_it() -> None:
    spielberg = {"name": "Steven Spielberg", "roles": ["actor", "director"], "cue": None,
                 "notable": ["director"]}
    eastwood = {"name": "Clint Eastwood", "roles": ["actor", "director"], "cue": None,
                "notable": ["actor", "director"]}
    assert slot_fills("actor", _nlu(people=[spielberg])) == {"director": "Steven Spielberg"}
    assert slot_fills("actor", _nlu(people=[eastwood])) == {"actor": "Clint Eastwood"}
    assert slot_fills("director", _nlu(people=[eastwood])) == {"director": "Clint Eastwood"}
    assert slot_fills("genre", _nlu(people=[spielberg])) == {"director": "Steven Spielberg"}


def test_did_you_mean_a_or_b_takes_the_one_named() -> None:
    suggestion = {"name": "Wes Anderson", "slot": "director",
                  "choices": ["Wes Anderson", "Paul Thomas Anderson"],
                  "constraint": {"slot": "director", "values": ["Wes Anderson"], "exclude": False}}
    state = {"stage": "director", "suggestion": suggestion, "wishes": []}
    for words, name in ((["paul", "thomas"], "Paul Thomas Anderson"), (["wes"], "Wes Anderson"),
                        (["the", "second", "one"], "Paul Thomas Anderson")):
        decision = decide(state, _nlu(words=words), _mood(0.0))
        assert decision["added"] == [{"slot": "director", "values": [name], "exclude": False}]


def test_naming_someone_else_after_did_you_mean_asks_it_again() -> None:
    suggestion = {"name": "Leonardo DiCaprio", "slot": "actor", "choices": [],
                  "constraint": {"slot": "actor", "values": ["Leonardo DiCaprio"],
                                 "exclude": False}}
    scorsese = {"name": "Martin Scorsese", "roles": ["actor", "director"], "cue": None,
                "notable": ["director"], "sure": True}
    decision = decide({"stage": "actor", "suggestion": suggestion, "wishes": []},
                      _nlu(people=[scorsese]), _mood(0.0))
    assert decision["act"] == "fill" and decision["keep_suggestion"] == suggestion
    assert decision["added"] == [{"slot": "director", "values": ["Martin Scorsese"], "exclude": False}]


def test_older_means_older_than_the_film_on_the_table() -> None:
    older = {"slot": "year", "range": [None, 1979], "exclude": False, "relative": "older"}
    plan = plan_wishes(_ON_TABLE | {"stage": "like"}, _nlu(constraints=[older]))
    # bound at the film's own year: 1993 for a 1994 film, not a jump that hides 1990-1993
    assert plan["added"] == [{"slot": "year", "range": [None, 1993], "exclude": False}]
