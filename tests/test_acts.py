"""What an utterance does, before its words are read as wishes (chatbot.acts)."""

from __future__ import annotations

import pytest

from chatbot.acts import (
    PhraseTable,
    asks_for,
    delegates,
    indifferent_slots,
    intent_of,
    is_about_bot,
    is_question,
    is_request,
    question_topics,
    refers_to_film,
    split_question,
    verdict,
    watching,
)
from chatbot.cues import clause_tokens


def _t(text: str) -> list[str]:
    return clause_tokens(text)


@pytest.mark.parametrize(("text", "topics"), [
    ("cast", ["cast"]), ("director?", ["director"]), ("the year?", ["year"]),
    ("rating?", ["mpaa"]), ("plot?", ["plot"]), ("length", ["runtime"]), ("who?", ["cast"]),
    ("ooh what's it about", ["plot"]), ("wat year is it from", ["year"]),
    ("can I watch it with my 10 year old?", ["mpaa"]), ("is he the main guy in it?", ["cast"]),
    ("which film did you show me first?", ["history"]),
    ("good", []), ("long day at work", []), ("I love it", []),
])
def test_question_topics_any_form(text: str, topics: list[str]) -> None:
    assert question_topics(_t(text), text) == topics


@pytest.mark.parametrize(("text", "question", "about", "asking"), [
    ("does it have Bruce Willis in it", True, True, False),
    ("that's the one with Travolta, right?", True, True, False),
    ("is it directed by Tarantino?", True, True, False),
    ("how about something with Bruce Willis?", True, False, True),
    ("is there anything from the 90s?", True, False, True),
    ("can you find one with Meg Ryan?", True, False, True),
    ("haven't seen it", False, True, False),
    ("I saw it as a kid", False, True, False),
])
def test_a_question_about_the_film_is_not_a_request(text: str, question: bool, about: bool,
                                                    asking: bool) -> None:
    tokens = _t(text)
    assert is_question(tokens, text) is question
    assert (refers_to_film(tokens, text) and not is_request(tokens)) is about
    assert is_request(tokens) is asking


@pytest.mark.parametrize(("text", "seen"), [
    ("saw it on a train last year", "yes"), ("I watched it with my dad", "yes"),
    ("my brother has probably seen that one", "yes"), ("never saw it", "no"),
    ("haven't watched it", "no"), ("only the trailer", "partly"), ("just clips of it", "partly"),
    ("yes", None), ("a comedy please", None),
])
def test_watching(text: str, seen: str | None) -> None:
    assert watching(_t(text)) == seen


@pytest.mark.parametrize(("text", "judged"), [
    ("perfect", "liked"), ("nah that's perfect", "liked"), ("love it", "liked"),
    ("my wife would love it", "liked"), ("great great great", "liked"),
    ("yeah it sucks", "disliked"), ("not my cup of tea", "disliked"),
    ("sounds dumb lol", "disliked"), ("not great", "disliked"), ("not boring", None),
    ("no", None), ("maybe", None),
])
def test_verdict(text: str, judged: str | None) -> None:
    assert verdict(_t(text)) == judged


@pytest.mark.parametrize(("text", "intent"), [
    ("start over", "restart"), ("let's start from scratch", "restart"),
    ("can we begin again?", "restart"), ("new search please", "restart"),
    ("forget all that", "restart"), ("yeah no", "no"), ("yeah nah", "no"),
    ("could be worse", "yes"), ("I don't dislike it", "yes"), ("i guess so", "yes"),
    ("yesss", "yes"), ("noooo", "no"), ("kinda", "no_preference"), ("meh", "no_preference"),
    ("idc", "no_preference"), ("100 percent", "yes"),
])
def test_intent_of_restart_tone_and_drawn_out_words(text: str, intent: str) -> None:
    assert intent_of(_t(text)) == intent


def test_asks_for_and_about_bot() -> None:
    assert asks_for(_t("yes, but something from the 90s"))
    assert not asks_for(_t("yes, in the 90s"))
    assert is_about_bot(_t("are you a robot?")) and is_about_bot(_t("who are you"))
    assert not is_about_bot(_t("a robot movie"))


def test_phrase_table_finds_the_earliest_longest() -> None:
    table = PhraseTable(["no", "no thanks", "thanks"])
    assert table.first("well no thanks".split()) == (1, -2)
    assert table.all("no thanks".split()) == [(0, ("no", "thanks")), (0, ("no",)),
                                             (1, ("thanks",))]
    assert table.starts(["thanks"]) and not table.starts(["well", "thanks"])


@pytest.mark.parametrize(("text", "parts"), [
    ("no, how long is it?", ("no,", "how long is it?")),
    ("comedy, what can you do?", ("comedy,", "what can you do?")),
    ("how long is it? havent seen it", ("havent seen it", "how long is it?")),
    ("it's the one with Harrison Ford, isn't it?", None),  # a tag asks nothing of its own
    ("hmm ok. is it good?", None),  # a filler answers nothing
    ("is it any good?", None), ("a comedy please", None),
])
def test_split_question_finds_an_answer_and_a_question(text: str, parts: tuple | None) -> None:
    assert split_question(text) == parts


@pytest.mark.parametrize(("text", "slots"), [
    ("rating doesnt matter", ["mpaa"]), ("any genre is fine", ["genre"]),
    ("dont care who directs", ["director"]), ("no director preference", ["director"]),
    ("no preference", []), ("a comedy", []),
])
def test_indifferent_slots_names_the_question_waived(text: str, slots: list[str]) -> None:
    tokens = clause_tokens(text)
    assert indifferent_slots(tokens, intent_of(tokens)) == slots


@pytest.mark.parametrize(("text", "left"), [
    ("surprise me", True), ("idk you pick", True), ("up to you", True),
    ("any suggestions?", False), ("i pick the genre", False),
])
def test_delegates_when_the_choice_is_left_to_the_bot(text: str, left: bool) -> None:
    assert delegates(clause_tokens(text)) is left
