"""Every listener-protocol reply carries `signal`, one of the three documented values for its case
(newcomer 68 finding 12: absent or null on replies that ask a question): "listen" while messages
are queued, "end" once the conversation is over, "talk" when the user's turn comes — over whole
conversations, on turns, polls (by index and the original taking poll) and transcripts alike."""

from __future__ import annotations

from typing import Any

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.listener import handle
from tests.chatbot_helpers import NEWCOMER_SCRIPTS, components_for

DOCUMENTED = {"listen", "end", "talk"}
# Whole conversations in our own words: questions that answer in one message, a proposal, a
# refusal, a finish, and talk after the finish.
SCRIPTS = {
    "questions-then-finish": ["a thriller please", "do you have anything with denzel?", "no preference",
                              "any rating", "who directed it?", "is it long?", "no", "yes"],
    "one-message-answers": ["hmm", "what can you do?", "comedy", "no idea", "whatever", "no", "no", "no", "yes"],
    "after-the-end": ["comedy", "no preference", "no preference", "no preference", "no", "yes", "thanks!",
                      "one more?"],
    **{name: texts for name, texts in list(NEWCOMER_SCRIPTS.items())[:3]},
}


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


def _over(bot: Chatbot, sid: str) -> bool:
    """The dialog's own word on whether the conversation is over (not read from any reply)."""
    record, _ = bot.store.get(sid)
    return record["dialog"]["stage"] == "end"


def _rest(over: bool) -> str:
    return "end" if over else "talk"


def _signals_of_one_turn(bot: Chatbot, sid: str, text: str, turn_no: int) -> list[dict[str, Any]]:
    reply = handle(bot, {"id": sid, "text": text, "mode": "false", "turn_no": turn_no})
    over = _over(bot, reply["userid"])
    assert reply["signal"] == ("listen" if reply["passiveLen"] else _rest(over)), reply
    polls = [handle(bot, {"id": reply["userid"], "mode": "true", "index": k, "turn_no": reply["turn_no"]})
             for k in range(1, reply["passiveLen"] + 1)]
    for poll in polls:
        assert poll["signal"] == ("listen" if poll["passiveLen"] else _rest(over)), poll
    transcript = handle(bot, {"id": reply["userid"], "mode": "transcript"})
    assert transcript["signal"] == _rest(over), transcript
    return [reply, *polls, transcript]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_listener_signal_is_documented_on_every_reply_of_a_whole_conversation(bot: Chatbot, name: str) -> None:
    first = _signals_of_one_turn(bot, "-1", "", 1)
    sid = first[0]["userid"]
    replies = first + [r for n, text in enumerate(SCRIPTS[name], start=2) for r in _signals_of_one_turn(bot, sid, text, n)]
    assert all("signal" in r and r["signal"] in DOCUMENTED for r in replies), [r.get("signal") for r in replies]


def test_listener_signal_of_a_one_message_question_is_talk(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    singles = [r for text in ["comedy", "no preference", "who is in it?", "is it any good?"]
               if (r := handle(bot, {"id": sid, "text": text, "mode": "false"}))["passiveLen"] == 0]
    assert singles and all(r["signal"] == "talk" for r in singles), singles


def test_listener_signal_of_the_original_taking_poll(bot: Chatbot) -> None:
    sid = handle(bot, {"id": "-1", "text": "", "mode": "false"})["userid"]
    for text in ["comedy", "no preference", "no preference", "no preference", "no", "yes"]:
        reply = handle(bot, {"id": sid, "text": text, "mode": "false"})
        taken = [handle(bot, {"id": sid, "mode": "true"}) for _ in range(reply["passiveLen"] + 1)]
        assert [t["signal"] for t in taken[:-2]] == ["listen"] * max(0, len(taken) - 2), taken
        assert taken[-1]["response"] is None and taken[-1]["signal"] == _rest(_over(bot, sid)), taken
    assert _over(bot, sid) and taken[-1]["signal"] == "end"
