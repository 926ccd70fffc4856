"""The public ``Chatbot``: sessions, idempotent numbered turns, malformed input."""

from __future__ import annotations

import json
import re

import pytest

from chatbot import Chatbot, Turn, nlg
from chatbot.catalog import Catalog
from chatbot.errors import InvalidRequest, TurnOutOfOrder, UnknownSession
from tests.chatbot_helpers import components_for, talk


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


def test_chatbot_turn_is_json_able(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", "no", "no", "no"])
    data = turns[-1].to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) >= {"session_id", "messages", "signal", "recommendation", "turn_no"}
    assert Turn.from_dict(data) == turns[-1]
    film = data["recommendation"]
    assert {"id", "title", "year", "genres", "director", "directors", "cast", "mpaa"} <= set(film)


def test_chatbot_retried_turn_no_returns_stored_reply(bot: Chatbot) -> None:
    first = bot.turn(None, "", turn_no=1)
    sid = first.session_id
    assert bot.turn(sid, "", turn_no=1) == first
    second = bot.turn(sid, "comedy", turn_no=2)
    assert bot.turn(sid, "comedy", turn_no=2) == second
    with pytest.raises(TurnOutOfOrder, match="turn_no: 2 was already answered for another text"):
        bot.turn(sid, "something else entirely", turn_no=2)  # not a retry: never the old reply
    third = bot.turn(sid, "Jim Carrey", turn_no=3)
    assert third.turn_no == 3 and third.messages[-1] in nlg.QUESTIONS["director"]
    transcript = bot.transcript(sid)
    assert transcript is not None
    assert [entry["u"] for entry in transcript["history"]] == [[], ["comedy"], ["Jim Carrey"]]


def test_chatbot_turn_no_out_of_order(bot: Chatbot) -> None:
    sid = bot.turn(None, "").session_id
    with pytest.raises(TurnOutOfOrder, match="send 1 to repeat it or 2"):
        bot.turn(sid, "comedy", turn_no=5)


def test_chatbot_client_chosen_id_starts_idempotently(bot: Chatbot) -> None:
    first = bot.turn("client-chosen-1", "hi", turn_no=1)
    assert first.session_id == "client-chosen-1" and first.messages[0] == nlg.INTRO
    assert bot.turn("client-chosen-1", "hi", turn_no=1) == first


@pytest.mark.parametrize("session_id", ["no-such-session", "x" * 100, "a.b:c_d-e"])
def test_chatbot_unknown_session_raises(bot: Chatbot, session_id: str) -> None:
    with pytest.raises(UnknownSession, match="start a new conversation") as caught:
        bot.turn(session_id, "comedy")
    assert isinstance(caught.value, KeyError)


@pytest.mark.parametrize("session_id", ["bad id!", "x" * 101, "zz\x00q", "é1234", "", "a/b", "日本"])
@pytest.mark.parametrize("turn_no", [None, 1, 3])
def test_chatbot_id_no_session_can_have_is_refused_saying_what_an_id_is(bot: Chatbot, session_id: str,
                                                                        turn_no: int | None) -> None:
    """Not "unknown session": the id was never possible; the message says what an id may look like."""
    with pytest.raises(InvalidRequest, match=r"cannot be a conversation id: an id is 1-100 characters") as caught:
        bot.turn(session_id, "hi", turn_no=turn_no)
    assert "\x00" not in str(caught.value)  # shown escaped, as JSON writes it
    with pytest.raises(InvalidRequest):
        bot.poll(session_id, index=0)


@pytest.mark.parametrize("text", [
    "", "   ", "x" * 100_000, "\x00\x07\x1b[2J\x7f", "\ud800\udfff\ud83c", b"\xff\xfe\x00bytes",
    None, 12345, "👍" * 1000, "<script>alert(1)</script>", "'; DROP TABLE movies; --",
])
def test_chatbot_malformed_input_never_raises(bot: Chatbot, text: object) -> None:
    start = bot.turn(None, text)
    assert start.messages[0] == nlg.INTRO
    turn = bot.turn(start.session_id, text)
    assert turn.messages and all(isinstance(m, str) and m.strip() for m in turn.messages)
    json.dumps(turn.to_dict())


def test_chatbot_long_text_is_read_in_part(bot: Chatbot) -> None:
    sid = bot.turn(None, "").session_id
    turn = bot.turn(sid, "comedy " + "blah " * 20_000)
    assert turn.messages[0] == nlg.TRUNCATED
    assert turn.messages[-1] in nlg.QUESTIONS["actor"]
    transcript = bot.transcript(sid)
    assert transcript is not None and len(transcript["history"][-1]["u"][0]) <= 2000


def test_chatbot_seed_none_draws_a_seed_per_session(chatbot_db_url: str, catalog: Catalog) -> None:
    bot = Chatbot(components=components_for(chatbot_db_url, catalog), seed=None)
    seeds = {bot.store.get(bot.turn(None, "").session_id)[0]["dialog"]["seed"] for _ in range(5)}
    assert len(seeds) > 1


def test_chatbot_poll_drains_the_queue(bot: Chatbot) -> None:
    start = bot.turn(None, "")
    first = bot.poll(start.session_id)
    assert first.message == start.messages[1] and first.remaining == 0
    assert bot.poll(start.session_id).message is None


# What a user asks for, in several shapes; each reply proposing a film is checked against it.
GENRE_ASKS = [["an animated family film"], ["a romantic comedy"], ["crime thriller"], ["war drama"],
              ["something with music, a musical"], ["sci-fi"], ["action and adventure"],
              ["horror", "no preference", "no preference", "no preference", "no", "no"]]


@pytest.mark.parametrize("asked", GENRE_ASKS, ids=lambda lines: lines[0])
def test_chatbot_film_card_genres_are_the_catalogues_in_the_order_the_bot_names_them(
        bot: Chatbot, catalog: Catalog, asked: list[str]) -> None:
    """The card a page draws shows `recommendation["genres"]`; the proposal says "It is an X, Y
    and Z movie". Both come from the catalogue's genres of that film, and the card lists the
    ones said first, in the order said (the card once listed them alphabetically: "adventure,
    animation, drama..." under "an animation, family and adventure movie")."""
    turns = talk(bot, [*asked, "no preference", "no preference", "no preference", "no", "no"][:6])
    said = [(t, re.search(r"\bIt is an? (.+?) movie\b", " ".join(t.messages))) for t in turns]
    proposals = [(t.recommendation, found.group(1)) for t, found in said if t.recommendation and found]
    assert proposals, [t.messages for t in turns]
    for film, genres in proposals:
        assert film is not None
        named = genres.replace(" and ", ", ").split(", ")
        assert sorted(film["genres"]) == sorted(catalog.movie(film["id"]).genres), film
        assert film["genres"][:len(named)] == named, (genres, film["genres"])
