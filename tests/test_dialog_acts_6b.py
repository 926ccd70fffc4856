"""Round 6b's mechanisms, each alone: social acts, emoji by name, the tense of "watch",
questions not about the film on the table, complaints as wishes, the catalogue's limits."""

from __future__ import annotations

import random

import pytest

from chatbot.complaints import after_catalogue, complaint_hits, distinct_exclusions
from chatbot.cues import clause_tokens
from chatbot.emojis import emoji_word, only_emoji, spell_emoji
from chatbot.questions import (
    asking_part,
    asks_what_to_watch,
    catalogue_object,
    catalogue_question,
    filmography_reply,
    filmography_role,
    suitability_reply,
)
from chatbot.social import REPLIES, social_act, social_reply
from chatbot.watching import watching


@pytest.mark.parametrize(("text", "act"), [
    ("hows it going", "how_are_you"), ("how r u today?", "how_are_you"),
    ("pleased to meet you", "nice_to_meet"), ("hahaha lol", "laughter"),
    ("ur literally useless", "insult"), ("what a dumb bot", "insult"),
    ("you're so helpful", "praise"), ("i'm bored out of my mind", "bored"),
    ("oops sorry", "apology"), ("do you like cats?", "personal"),
    ("what's your favourite colour", "personal"),
])
def test_social_act_names_the_act(text: str, act: str) -> None:
    assert social_act(clause_tokens(text), text) == act


@pytest.mark.parametrize("text", ["a comedy please", "do you have Heat?",
                                  "can you recommend something?", "the movie was dumb"])
def test_social_act_is_none_for_requests_and_remarks_on_films(text: str) -> None:
    assert social_act(clause_tokens(text), text) is None


def test_social_reply_acknowledges_without_not_understood() -> None:
    for act in REPLIES:
        assert "understand" not in social_reply(act, random.Random(0))


def test_emoji_words_come_from_their_names() -> None:
    assert emoji_word("😱") == "scary" and emoji_word("🚀") == "sci-fi"
    assert emoji_word("🥲") == "sad" and emoji_word("🧀") == ""
    assert spell_emoji("🤣", alone_means_genre=True).split() == ["funny"]
    assert spell_emoji("ok 🤣").split() == ["ok", "haha"]
    assert only_emoji("👻 🔪!") and not only_emoji("scary 👻")


@pytest.mark.parametrize(("text", "answer"), [
    ("ill watch it tonight", "future"), ("nah havent, gonna watch that one later", "future"),
    ("we'll watch it", "future"), ("i want to see it", "future"),
    ("not sure whether she has seen it", "unsure"), ("can't remember if i watched it", "unsure"),
    ("no idea if my dad saw it", "unsure"), ("saw it on a plane", "yes"),
    ("i see it already", "yes"), ("never seen it", "no"), ("only the trailer", "partly"),
    ("i watch it every christmas", "yes"),
])
def test_watching_reads_tense_and_doubt(text: str, answer: str) -> None:
    assert watching(clause_tokens(text)) == answer


def test_asking_part_keeps_only_the_questions_of_a_long_message() -> None:
    text = "I love westerns. My dad likes Clint Eastwood, you know? Which would you pick?"
    assert asking_part(text) == "you know? Which would you pick?"
    assert asking_part("is it any good?") is None  # one sentence: all of it
    assert asking_part("Westerns. Clint Eastwood.") is None  # no question


def test_catalogue_question_finds_its_object() -> None:
    assert catalogue_object(clause_tokens("do u have the proposal?")) == ["the", "proposal"]
    assert catalogue_object(clause_tokens("is Heat in your catalogue?")) == ["heat"]
    assert catalogue_question(clause_tokens("does it have a happy ending?")) is None
    assert catalogue_question(clause_tokens("is there a lot of gore?")) is None


def test_what_to_watch_and_filmography_questions() -> None:
    assert asks_what_to_watch(clause_tokens("what could we watch together?"))
    assert not asks_what_to_watch(clause_tokens("what year did it come out?"))
    assert filmography_role(clause_tokens("what else has the lead been in?")) == "actor"
    assert filmography_role(clause_tokens("other films by the director?")) == "director"
    assert filmography_role(clause_tokens("who else is in it?")) is None
    assert filmography_role(clause_tokens("anything else with him?")) is None  # a request


def test_filmography_and_suitability_replies_say_what_the_catalogue_knows() -> None:
    films = [{"title": "Heat", "year": 1995}, {"title": "Scarface", "year": 1983}]
    reply = filmography_reply("Al Pacino", "actor", films, "The Godfather")
    assert "Heat (1995) and Scarface (1983)" in reply and "no billing order" in reply
    assert "no other film" in filmography_reply("X Y", "actor", [], "Z", lead=False)
    et = {"title": "E.T.", "mpaa": "PG"}
    assert suitability_reply(et, ["G"], "rated PG").startswith("I can't tell how scary")
    assert "not one of" in suitability_reply(et, ["G"], "rated PG")


def test_complaints_are_wishes_against_the_film_shown() -> None:
    (_, _, wish), = complaint_hits(clause_tokens("no, way too long"))
    assert wish["slot"] == "runtime" and wish["relative"] == "shorter"
    (_, _, wish), = complaint_hits(clause_tokens("too old for me"))
    assert wish["slot"] == "year" and wish["relative"] == "newer"
    (_, _, wish), = complaint_hits(clause_tokens("neither of us wants anything too long"))
    # a short bound of its own ("short": below a short film shown too, ``chatbot.wishes``)
    assert wish["range"] == [None, 100] and wish["relative"] == "short"
    assert complaint_hits(clause_tokens("not too long")) == []  # a length phrase of its own


def test_catalogue_limits_are_said_and_exclusions_not_doubled() -> None:
    kept, notes = after_catalogue([{"slot": "year", "range": [2021, None], "exclude": False}], 2014)
    assert kept == [] and "only goes up to 2014" in notes[0]
    wishes = [{"slot": "genre", "values": ["horror"], "exclude": True},
              {"slot": "genre", "values": ["war", "horror"], "exclude": True}]
    assert [w["values"] for w in distinct_exclusions(wishes)] == [["horror"], ["war"]]


def test_fresh_check_findings() -> None:
    assert watching(clause_tokens("not yet! will definitely check it out tho")) == "future"
    assert asking_part("Hi there. is Airplane! in your list?") == "is Airplane in your list?"
    assert social_act(clause_tokens("you're kinda slow huh"), "") == "insult"
    assert spell_emoji("😭", alone_means_genre=True).split() == ["a", "sad", "movie"]


def test_replay_findings() -> None:
    said = clause_tokens("sorry, i meant: is the princess bride in your catalogue?")
    assert catalogue_object(said) == ["the", "princess", "bride"]
    assert catalogue_object(clause_tokens("i asked if you have heat")) == ["heat"]
    assert catalogue_object(clause_tokens("too old. got anything newer?")) == ["anything", "newer"]
