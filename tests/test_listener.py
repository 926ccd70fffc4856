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
    assert polled["passiveLen"] == 0 and polled["signal"] == "talk"  # the user's turn
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
    again = handle(bot, {"UUID": first["userid"], "chatText": "comedy", "mode": "false",
                         "turn_no": 2})
    retry = handle(bot, {"UUID": first["userid"], "chatText": "comedy", "mode": "False",
                         "turn_no": 2.0})
    assert again == retry and again["turn_no"] == 2


@pytest.mark.parametrize(("request_", "code", "status"), [
    ({"id": "no-such-session", "text": "hi", "mode": "false"}, "unknown_session", 404),
    ({"id": "-1", "text": "hi", "mode": "maybe"}, "bad_request", 400),
    ({"id": "-1", "text": ["hi"], "mode": "false"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "admin": True}, "bad_request", 400),
    ({"id": 7, "text": "hi"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": "two"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": 1.5}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": "1.0"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": True}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": "\u0662"}, "bad_request", 400),  # an Arabic-Indic 2
    ({"id": "-1", "text": "hi", "mode": True}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "mode": 0}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "mode": "yes"}, "bad_request", 400),
    ({"id": "-1", "mode": "false", "index": 1}, "bad_request", 400),
    ({"id": "-1", "mode": "true", "index": 1}, "bad_request", 400),
    ({"id": "x", "mode": "true", "index": -1}, "bad_request", 400),
    ({"id": "x", "mode": "true", "index": 0.5}, "bad_request", 400),
    ({"id": -1.0, "text": "hi"}, "bad_request", 400),
    ({"id": "-1", "text": "hi", "turn_no": 3}, "conflict", 409),
    ({"id": "-1", "mode": "true"}, "bad_request", 400),
    ({"id": "-1", "mode": "transcript"}, "bad_request", 400),
    ({"id": "nobody", "mode": "transcript"}, "unknown_session", 404),
    ({"id": "../etc", "mode": "transcript"}, "bad_request", 400),  # no session can have this id
    ("not a dict", "bad_request", 400),
])
def test_listener_bad_requests_get_clear_errors(bot: Chatbot, request_: object, code: str,
                                                status: int) -> None:
    reply = handle(bot, request_)  # type: ignore[arg-type]  # requests of any shape are the test
    assert (reply["error"], reply["status"]) == (code, status)
    assert reply["detail"]


def test_listener_transcript_reads_the_conversation_without_changing_it(bot: Chatbot) -> None:
    first = handle(bot, {"id": "-1", "text": "", "mode": "false"})
    sid = first["userid"]
    second = handle(bot, {"id": sid, "text": "comedy please", "mode": "false"})
    read = handle(bot, {"id": sid, "mode": "transcript"})
    assert read == handle(bot, {"UUID": sid, "mode": "Transcript"})  # reading twice: the same
    assert (read["userid"], read["turn_no"], read["signal"]) == (sid, 2, "talk")
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


@pytest.mark.parametrize("spelling", [" -1", "-1 ", "\t-1\n", -1])
def test_listener_new_session_id_spelled_with_spaces_starts_one(bot: Chatbot, spelling: object) -> None:
    reply = handle(bot, {"id": spelling, "text": "", "mode": "false"})
    assert "error" not in reply and reply["userid"].strip() == reply["userid"] != "-1"


def test_listener_polls_by_index_read_without_taking(bot: Chatbot) -> None:
    """A poll whose answer is lost (its connection dropped) can be sent again: by index, it reads
    the same message; the turn's reply said how many there are."""
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    for text in ["comedy", "no preference", "no preference"]:
        turn = handle(bot, {"id": sid, "text": text, "mode": "false"})
    turn = handle(bot, {"id": sid, "text": "no preference", "mode": "false"})  # the recommendation
    assert turn["passiveLen"] >= 1
    polls = [handle(bot, {"id": sid, "mode": "true", "index": k, "turn_no": turn["turn_no"]})
             for k in range(1, turn["passiveLen"] + 1) for _retry in range(2)]
    assert [p["response"] for p in polls[::2]] == turn["messages"][1:]
    assert polls[::2] == polls[1::2]  # each read twice: the same
    assert turn["signal"] == "listen" and polls[-1]["passiveLen"] == 0 and polls[-1]["signal"] != "listen"
    assert polls[0]["passiveLen"] == turn["passiveLen"] - 1 and polls[0]["index"] == 1
    beyond = handle(bot, {"id": sid, "mode": "true", "index": 99})
    assert beyond["response"] is None and beyond["passiveLen"] == 0
    old = handle(bot, {"id": sid, "mode": "true", "index": 1, "turn_no": 2})
    assert old["status"] == 409 and "turn_no 5" in old["detail"]


def test_listener_same_turn_no_other_text_is_a_conflict_not_the_old_reply(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false", "turn_no": 1})["userid"]
    first = handle(bot, {"id": sid, "text": "comedy", "mode": "false", "turn_no": 2})
    assert handle(bot, {"id": sid, "text": "comedy", "mode": "false", "turn_no": "2"}) == first
    other = handle(bot, {"id": sid, "text": "romance", "mode": "false", "turn_no": 2})
    assert (other["error"], other["status"]) == ("conflict", 409) and "turn_no: 2" in other["detail"]


@pytest.mark.parametrize("session_id", ["zz\u0000q", "é1234", "x" * 101, "two words", "a/b", "<script>"])
@pytest.mark.parametrize("mode", ["false", "true", "transcript"])
def test_listener_id_no_session_can_have_is_a_400_saying_what_an_id_is(bot: Chatbot, session_id: str,
                                                                        mode: str) -> None:
    reply = handle(bot, {"id": session_id, "text": "hi", "mode": mode, "turn_no": 1,
                         **({"index": 0} if mode == "true" else {})})
    assert (reply["error"], reply["status"]) == ("bad_request", 400), reply
    assert "an id is 1-100 characters" in reply["detail"]


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("turn_no", True, "true"), ("turn_no", 1.5, "1.5"), ("index", False, "false"), ("turn_no", "2.0", '"2.0"'),
    ("turn_no", [1], "[1]"),
])
def test_listener_whole_numbers_are_refused_naming_field_and_json_value(bot: Chatbot, field: str, value: object,
                                                                         shown: str) -> None:
    request = {"id": "-1", "text": "hi", "mode": "true" if field == "index" else "false", field: value}
    reply = handle(bot, request)
    assert reply["status"] == 400 and reply["detail"].startswith(f"{field}: {shown} is not a whole number"), reply


@pytest.mark.parametrize("fields", [{"UUID": "my-own-id-7", "chatText": "hi"}, {"id": "my-own-id-8", "text": "comedy"}])
def test_listener_unknown_id_says_a_fix_that_works_in_the_protocol(bot: Chatbot, fields: dict[str, str]) -> None:
    """A client's own new id without turn_no (newcomer probe): the 404 names what to send instead,
    in the protocol's own terms (not Python's None), and sending just that starts the conversation."""
    refused = handle(bot, {**fields, "mode": "false"})
    assert refused["status"] == 404 and refused["error"] == "unknown_session"
    assert '"-1"' in refused["detail"] and "turn_no 1" in refused["detail"] and "None" not in refused["detail"].split("(from Python")[0]
    started = handle(bot, {**fields, "mode": "false", "turn_no": 1})
    assert started.get("status", 200) == 200 and started["userid"] in fields.values() and started["messages"]


@pytest.mark.parametrize(("request_", "hinted"), [({"hello there": ""}, True), ({"comedy please": "", "id": "-1"}, True),
                                                  ({"txt": "hi", "id": "-1"}, False)])
def test_listener_plain_text_body_is_told_to_send_json(bot: Chatbot, request_: dict[str, str], hinted: bool) -> None:
    """`curl -d 'hello there' .../agent` (newcomer probe): a body of plain text arrives as a form field
    named by the text, with no value; the 400 says how to send a turn, not only 'unknown field'."""
    refused = handle(bot, request_)
    assert refused["status"] == 400 and "unknown field" in refused["detail"]
    assert ("send JSON (Content-Type: application/json)" in refused["detail"]) is hinted, refused["detail"]
