"""The original page's protocol, kept for compatibility: one request dict -> one reply dict.

Request: ``{"id": session id ("-1" starts one), "text": user text, "mode": "false" | "true" |
"transcript", "turn_no": optional whole number, "index": optional whole number (polls)}``;
the web form's names ``UUID`` and ``chatText`` are accepted too. ``mode`` is one of those three
strings (any case; missing or empty means "false"); a JSON ``true`` is refused, not read as a
poll.

- ``mode`` "false" (a user turn) replies ``{"response": first message, "userid", "signal",
  "passiveLen": messages still queued, "messages": all of them, "turn_no", "recommendation"}``;
  the rest of the messages are queued for polling, but a UI may simply show ``messages``.
- ``mode`` "true" (a listener poll) with ``"index": k`` (and the turn's ``turn_no``) replies
  message ``k`` of the last turn (1 is the first queued) as ``response``, with ``passiveLen``
  the messages after it; it changes nothing, so a poll re-sent after a lost answer gets the same
  message. Without ``index`` it is the original page's poll: it *takes* the next queued message.
- ``mode`` "transcript" (an extension, to resume a conversation after a page reload) reads
  without changing anything: ``{"userid", "turn_no": the last turn, "signal": ``"end"`` once
  over, else ``"talk"``, "recommendation": the film under discussion, "history": [{"u": [user
  text], "c": [chatbot messages]}, ...]}``.

Every reply above carries ``signal``, always one of three strings (never absent, never null),
the same from the PUMA port and the legacy server:

- ``"listen"``: messages of this turn are still queued (``passiveLen`` > 0): poll for them (or
  show ``messages``);
- ``"end"``: the conversation is over; nothing is queued and no turn follows (a transcript of an
  ended conversation says it too);
- ``"talk"``: nothing is queued and the conversation goes on: the user's turn (a question, a
  proposal, any message the bot then waits after).

Errors come back as ``{"error": code, "detail": text,
"status": HTTP status}``: ``bad_request`` 400, ``unknown_session`` 404, ``conflict`` 409 (a
``turn_no`` out of order, or one already answered for another text). ``turn_no`` and ``index``
are whole numbers (``2`` or ``2.0`` or ``"2"``; ``1.5`` is a 400).
Example::

    handle(bot, {"id": "-1", "text": "", "mode": "false"})["response"]   # 'Hi, I'm Chatbot...'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chatbot.bot import Chatbot, Turn
from chatbot.errors import (
    InvalidRequest,
    SessionConflict,
    TurnOutOfOrder,
    UnknownSession,
    unknown_fields_text,
)
from chatbot.numbers import whole_number

log = logging.getLogger(__name__)

NEW_SESSION = "-1"
_ALIASES = {"UUID": "id", "userid": "id", "chatText": "text"}
_FIELDS = frozenset({"id", "text", "mode", "turn_no", "index"})


def handle(bot: Chatbot, request: Mapping[str, Any], *, request_key: str | None = None) -> dict[str, Any]:
    """Serve one listener-protocol request; never raises for a bad request (see module doc).

    ``request_key`` identifies this request across re-sends (see ``Chatbot.turn``).
    """
    try:
        session_id, text, mode, turn_no, index = _parse(request)
        if mode == "poll":
            return _poll(bot, session_id, index, turn_no)
        if index is not None:
            raise InvalidRequest('index: only polls (mode "true") read a message by its index')
        if mode == "transcript":
            return _transcript(bot, session_id)
        return turn_reply(bot.turn(session_id, text, turn_no=turn_no, request_key=request_key))
    except InvalidRequest as error:
        return error_reply("bad_request", str(error), 400)
    except UnknownSession as error:
        return error_reply("unknown_session", str(error), 404)
    except (TurnOutOfOrder, SessionConflict) as error:
        return error_reply("conflict", str(error), 409)


def handle_survey(bot: Chatbot, request: Mapping[str, Any]) -> dict[str, Any]:
    """Store the end-of-chat survey ``{"id", "liked", "engagement", "chatbot_before",
    "comments"}``; replies ``{"ok": True}`` or an error dict."""
    try:
        data = {_ALIASES.get(k, k): v for k, v in dict(request).items()}
        session_id = data.pop("id", None)
        if not isinstance(session_id, str) or session_id == NEW_SESSION:
            raise InvalidRequest("id: the session id of the finished conversation is required")
        bot.store.get(session_id)
        bot.save_survey(session_id, data)  # validate_survey names any unknown field
        return {"ok": True, "userid": session_id}
    except InvalidRequest as error:
        return error_reply("bad_request", str(error), 400)
    except UnknownSession as error:
        return error_reply("unknown_session", str(error), 404)


LISTEN, END, TALK = "listen", "end", "talk"


def signal(queued: int, conversation: str | None) -> str:
    """A reply's ``signal`` (see the module doc): ``queued`` messages still to poll, and the
    dialog's own signal for the turn (``"end"`` once over, else None)."""
    if queued:
        return LISTEN
    return END if conversation == END else TALK


def turn_reply(turn: Turn) -> dict[str, Any]:
    """The protocol reply for a whole turn."""
    queued = max(0, len(turn.messages) - 1)
    return {
        "response": turn.messages[0] if turn.messages else "",
        "userid": turn.session_id,
        "signal": signal(queued, turn.signal),
        "passiveLen": queued,
        "messages": list(turn.messages),
        "turn_no": turn.turn_no,
        "recommendation": turn.recommendation,
    }


def error_reply(code: str, detail: str, status: int) -> dict[str, Any]:
    return {"error": code, "detail": detail, "status": status}


def _poll(bot: Chatbot, session_id: str | None, index: int | None, turn_no: int | None) -> dict[str, Any]:
    if session_id is None:
        raise InvalidRequest("id: polling (mode true) needs the id of a started session")
    polled = bot.poll(session_id, index=index, turn_no=turn_no)
    reply = {
        "response": polled.message,
        "userid": session_id,
        "signal": signal(polled.remaining, polled.signal),
        "passiveLen": polled.remaining,
        "messages": [polled.message] if polled.message is not None else [],
    }
    if polled.index is not None:
        reply |= {"index": polled.index, "turn_no": polled.turn_no}
    return reply


def _transcript(bot: Chatbot, session_id: str | None) -> dict[str, Any]:
    if session_id is None:
        raise InvalidRequest('id: a transcript (mode "transcript") needs the id of a started session')
    conversation = bot.conversation(session_id)
    return conversation | {"signal": signal(0, conversation.get("signal"))}  # every message is in it


def _parse(request: Mapping[str, Any]) -> tuple[str | None, str, str, int | None, int | None]:
    if not isinstance(request, Mapping):
        raise InvalidRequest(f"request: expected a JSON object, got {type(request).__name__}")
    data = {_ALIASES.get(str(k), str(k)): v for k, v in request.items()}
    unknown = set(data) - _FIELDS
    if unknown:
        # Names without values: a body of plain text (curl -d 'hello') read as a form's field names.
        bare = all(data[name] in ("", None) for name in unknown)
        hint = ('; the body was read as form fields without values: send JSON (Content-Type: application/json), '
                'e.g. {"id": "-1", "text": "hello", "mode": "false"}') if bare else ""
        raise InvalidRequest(f"request: unknown field(s) {unknown_fields_text(unknown)}; expected id, text, mode, "
                             f"turn_no, index{hint}")
    if "id" not in data:  # as the client spells it: the page's form says UUID
        name = "UUID" if "chatText" in request else "id"
        raise InvalidRequest(f'{name}: missing; send "-1" to start a conversation')
    turn_no = _whole("turn_no", data.get("turn_no"), least=1)
    return _session_id(data.get("id")), _text(data.get("text")), _mode(data.get("mode")), \
        turn_no, _whole("index", data.get("index"), least=0)


def _session_id(value: Any) -> str | None:
    if value == -1 and not isinstance(value, bool | float):
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"id: {value!r} is not a session id (send \"-1\" to start one)")
    value = value.strip()  # " -1" is "-1", whatever the surrounding spaces, everywhere
    return None if value == NEW_SESSION else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"text: expected a string, got {type(value).__name__}")
    return value


_MODES = {"false": "turn", "true": "poll", "transcript": "transcript"}


def _mode(value: Any) -> str:
    """``"turn"``, ``"poll"`` or ``"transcript"``: from the documented strings only."""
    if value is None or value == "":
        return "turn"
    mode = _MODES.get(value.strip().lower()) if isinstance(value, str) else None
    if mode is None:
        hint = f' (the string "{str(value).lower()}", not a JSON {type(value).__name__})' \
            if isinstance(value, bool) else ""
        raise InvalidRequest(f'mode: {value!r} must be "true" (poll), "false" (a user turn) or '
                             f'"transcript" (the conversation so far){hint}')
    return mode


def _whole(field: str, value: Any, *, least: int) -> int | None:
    """A whole number from JSON (2, 2.0) or a form ("2"); None if absent; 400 for anything else."""
    return whole_number(field, value, least=least)
