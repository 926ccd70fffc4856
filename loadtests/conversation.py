"""One whole conversation of a persona over any transport, with think time between turns.

A ``Transport`` sends one turn or one poll of the listener protocol and returns the reply
dict; the HTTP and socket transports live in ``loadtests.users``, a test may use the
in-process bot. Example::

    conversation = hold(transport, make_persona("picky", rng), think=lambda: None)
    check(conversation)         # [] when all went well
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from loadtests.checks import Conversation, Exchange, Failure
from loadtests.personas import MIX, Persona, Script

MAX_TURNS = 25
MAX_POLLS = 12


@dataclass(frozen=True)
class Settings:
    """Think time (uniform, seconds) between turns and between conversations; persona mix.
    (Plain data, here rather than beside the Locust users, so that making one imports no Locust.)"""

    think_min_s: float = 0.2
    think_max_s: float = 1.0
    max_turns: int = MAX_TURNS
    seed: int = 0
    mix: dict[str, float] = field(default_factory=lambda: dict(MIX))
    on_conversation: Callable[[Conversation, list[Failure]], None] = lambda conv, failures: None


class Retriable(Exception):
    """A connection error or a 5xx: nothing was applied twice, the same turn may be re-sent."""


class TurnFailed(Exception):
    """A turn (or poll) that got no reply, even re-sent once."""


class Transport(Protocol):
    def turn(self, session_id: str, text: str, turn_no: int) -> tuple[dict[str, Any], int]:
        """The reply to one numbered user turn and how many attempts it took."""

    def poll(self, session_id: str, turn_no: int, index: int) -> dict[str, Any]:
        """Message ``index`` of turn ``turn_no`` (``mode`` "true"); reads without taking, so a
        poll re-sent after a lost answer gets the same message."""


def with_one_retry(send: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """``send()``, re-sent once if it raised ``Retriable``; ``TurnFailed`` if both failed."""
    try:
        return send(), 1
    except Retriable as first:
        try:
            return send(), 2
        except Retriable as second:
            raise TurnFailed(f"{first}; re-sent once: {second}") from None


def hold(transport: Transport, persona: Persona, *, think: Callable[[], None],
         max_turns: int = MAX_TURNS, session_id: str | None = None) -> Conversation:
    """Talk until the persona has nothing left to answer (or a turn fails, or ``max_turns``),
    then poll the messages still queued, as the original page does, to see the signal."""
    conversation = Conversation(session_id or uuid.uuid4().hex, persona)
    script = Script(persona)
    messages: list[str] | None = None
    for turn_no in range(1, max_turns + 1):
        text = script.next_text(messages)
        if text is None:
            break
        if turn_no > 1:
            think()
        exchange = _exchange(transport, conversation.session_id, text, turn_no, script.stated)
        conversation.exchanges.append(exchange)
        if exchange.reply is None or "error" in exchange.reply:
            return conversation
        messages = list(exchange.reply.get("messages") or [])
    _drain(transport, conversation)
    return conversation


def _exchange(transport: Transport, sid: str, text: str, turn_no: int,
              stated: dict[str, Any]) -> Exchange:
    try:
        reply, attempts = transport.turn(sid, text, turn_no)
    except TurnFailed as error:
        return Exchange(turn_no, text, dict(stated), None, str(error), attempts=2)
    return Exchange(turn_no, text, dict(stated), reply, attempts=attempts)


def _drain(transport: Transport, conversation: Conversation) -> None:
    last = conversation.exchanges[-1].reply if conversation.exchanges else None
    queued = int((last or {}).get("passiveLen") or 0)
    if last is None:
        return
    for index in range(1, min(queued, MAX_POLLS) + 1):
        try:
            poll = transport.poll(conversation.session_id, int(last["turn_no"]), index)
        except TurnFailed as error:
            conversation.poll_error = str(error)
            return
        conversation.polls.append(poll)
        if "error" in poll:
            conversation.poll_error = f"{poll.get('error')}: {poll.get('detail')}"
            return
        if not poll.get("passiveLen"):
            return
