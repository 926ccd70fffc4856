"""The original listener protocol: request dict -> reply dict."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from chatbot import nlg
from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.listener import handle, handle_survey
from tests.chatbot_helpers import components_for


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


def test_listener_new_session_and_queued_messages(bot: Chatbot) -> None:
    reply = handle(bot, {"id": "-1", "text": "", "mode": "false"})
    assert reply["response"] == nlg.INTRO and reply["userid"] != "-1"
    assert reply["signal"] == "listen" and reply["passiveLen"] == 1
    assert reply["messages"][0] == nlg.INTRO and len(reply["messages"]) == 2
    polled = handle(bot, {"id": reply["userid"], "text": "", "mode": "true"})
    assert polled["response"] == reply["messages"][1]
    assert polled["passiveLen"] == 0 and polled["signal"] is None
    empty = handle(bot, {"id": reply["userid"], "mode": "true"})
    assert empty["response"] is None and empty["messages"] == []


def test_listener_whole_conversation_ends_with_end(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    replies = [handle(bot, {"id": sid, "text": text, "mode": "false"})
               for text in ["comedy", "no", "no", "no", "no", "yes"]]
    assert replies[3]["recommendation"] is not None
    last = replies[-1]
    assert last["messages"][-1].startswith("Bye!")
    assert last["signal"] == "listen" and last["passiveLen"] == 1
    drained = handle(bot, {"id": sid, "mode": "true"})
    assert drained["signal"] == "end" and drained["response"].startswith("Bye!")
    json.dumps(replies)


def test_listener_accepts_form_names_and_turn_numbers(bot: Chatbot) -> None:
    first = handle(bot, {"UUID": "-1", "chatText": "", "mode": "false", "turn_no": "1"})
    again = handle(bot, {"UUID": first["userid"], "chatText": "comedy", "mode": False,
                         "turn_no": 2})
    retry = handle(bot, {"UUID": first["userid"], "chatText": "comedy", "mode": False,
                         "turn_no": 2})
    assert again == retry and again["turn_no"] == 2


@pytest.mark.parametrize(("request_", "code", "status"), [
    ({"id": "no-such-session", "text": "hi", "mode": "false"}, "unknown_session", 404),
    ({"id": "-1", "text": "hi", "mode": "maybe"}, "bad_request", 400),
    ({"id": "-1", "text": ["hi"], "mode": "false"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "admin": True}, "bad_request", 400),
    ({"id": 7, "text": "hi"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": "two"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": 3}, "conflict", 409),
    ({"id": "-1", "mode": "true"}, "bad_request", 400),
    ({"id": "-1", "mode": "transcript"}, "bad_request", 400),
    ({"id": "nobody", "mode": "transcript"}, "unknown_session", 404),
    ({"id": "../etc", "mode": "transcript"}, "unknown_session", 404),
    ("not a dict", "bad_request", 400),
])
def test_listener_bad_requests_get_clear_errors(bot: Chatbot, request_: object, code: str,
                                                status: int) -> None:
    reply = handle(bot, request_)  # type: ignore[arg-type]
    assert (reply["error"], reply["status"]) == (code, status)
    assert reply["detail"]


def test_listener_transcript_reads_the_conversation_without_changing_it(bot: Chatbot) -> None:
    first = handle(bot, {"id": "-1", "text": "", "mode": "false"})
    sid = first["userid"]
    second = handle(bot, {"id": sid, "text": "comedy please", "mode": "false"})
    read = handle(bot, {"id": sid, "mode": "transcript"})
    assert read == handle(bot, {"UUID": sid, "mode": "Transcript"})  # reading twice: the same
    assert (read["userid"], read["turn_no"], read["signal"]) == (sid, 2, None)
    assert [{k: e[k] for k in ("u", "c")} for e in read["history"]] == [
        {"u": [], "c": first["messages"]}, {"u": ["comedy please"], "c": second["messages"]}]
    assert all(datetime.fromisoformat(e["at"]).tzinfo for e in read["history"])  # when, for the page
    if second["passiveLen"]:  # the queue of the last turn is still there for polls
        assert handle(bot, {"id": sid, "mode": "true"})["response"] == second["messages"][1]


def test_listener_transcript_of_an_ended_conversation(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    replies = [handle(bot, {"id": sid, "text": text, "mode": "false"})
               for text in ["comedy", "no", "no", "no", "no", "yes"]]
    read = handle(bot, {"id": sid, "mode": "transcript"})
    assert read["signal"] == "end" and read["turn_no"] == 7 and len(read["history"]) == 7
    assert read["recommendation"] == replies[-1]["recommendation"] is not None
    assert read["history"][-1]["c"][-1].startswith("Bye!")
    json.dumps(read)


def test_listener_survey(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    assert handle_survey(bot, {"id": sid, "liked": 5, "engagement": 4,
                               "chatbot_before": True, "comments": "fun"})["ok"]
    assert handle_survey(bot, {"id": sid, "liked": 11})["status"] == 400
    assert handle_survey(bot, {"id": "nobody", "liked": 3})["status"] == 404
