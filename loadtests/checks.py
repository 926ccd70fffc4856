"""Per-conversation correctness checks on what a simulated user saw. Pure: no IO.

``check(conversation)`` returns the failures of one finished conversation, each of a kind:

- ``unanswered``: a turn (or an end-of-conversation poll) got no valid reply, even re-sent once;
- ``no_end``: the conversation did not end with the signal ``end`` within the turn budget;
- ``preference``: a proposed film breaks a stated wish that no no-match notice set aside;
- ``foreign``: a reply that belongs to another session: another ``userid`` or ``turn_no``,
  or an acknowledgement of wishes this user did not state in that turn;
- ``misunderstood``: a stated wish was not acknowledged, or an unintelligible answer was.

Example::

    failures = check(conversation)
    [f.kind for f in failures]      # [] when all went well
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chatbot import nlg
from chatbot.text import join_words
from loadtests.personas import Persona

KINDS = ("unanswered", "no_end", "preference", "foreign", "misunderstood")
_STILL_NOT = nlg.still_not_understood("genre").split(",", 1)[0]  # "I still didn't catch that"
ACK_PREFIX = "Got it: "


@dataclass(frozen=True)
class Failure:
    kind: str
    detail: str


@dataclass
class Exchange:
    """One user turn: what was sent, the wishes it stated, and the reply (None if none came)."""

    turn_no: int
    text: str
    stated: dict[str, Any]
    reply: dict[str, Any] | None
    error: str | None = None
    attempts: int = 1


@dataclass
class Conversation:
    session_id: str
    persona: Persona
    exchanges: list[Exchange] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    poll_error: str | None = None
    started_at: float = field(default_factory=time.monotonic)  # when its first turn was about to be sent

    @property
    def turns(self) -> int:
        return len(self.exchanges)

    def messages(self) -> Iterator[str]:
        for exchange in self.exchanges:
            yield from (exchange.reply or {}).get("messages") or []


def check(conversation: Conversation) -> list[Failure]:
    """Every failure of ``conversation``; an unanswered turn hides the checks after it."""
    unanswered = _unanswered(conversation)
    if unanswered:
        return unanswered
    return [*_foreign(conversation), *_understanding(conversation),
            *_preferences(conversation), *_ending(conversation)]


def _unanswered(conversation: Conversation) -> list[Failure]:
    for exchange in conversation.exchanges:
        reply = exchange.reply
        if reply is None or "error" in reply:
            reason = exchange.error or f"{(reply or {}).get('error')}: {(reply or {}).get('detail')}"
            return [Failure("unanswered", f"turn {exchange.turn_no}: {reason}")]
    if conversation.poll_error:
        return [Failure("unanswered", f"poll: {conversation.poll_error}")]
    return []


def _foreign(conversation: Conversation) -> Iterator[Failure]:
    sid = conversation.session_id
    for exchange in conversation.exchanges:
        reply = exchange.reply or {}
        if reply.get("userid") != sid:
            yield Failure("foreign", f"turn {exchange.turn_no}: userid {reply.get('userid')!r}, not {sid!r}")
        if reply.get("turn_no") != exchange.turn_no:
            yield Failure("foreign", f"turn {exchange.turn_no}: reply is for turn {reply.get('turn_no')!r}")
        acks = [m for m in reply.get("messages") or [] if m.startswith(ACK_PREFIX)]
        expected = nlg.acknowledge(exchange.stated) if exchange.stated else None
        if any(ack != expected for ack in acks):
            yield Failure("foreign", f"turn {exchange.turn_no}: {acks} after {exchange.text!r}")
    for poll in conversation.polls:
        if poll.get("userid") != sid:
            yield Failure("foreign", f"poll: userid {poll.get('userid')!r}, not {sid!r}")


def _understanding(conversation: Conversation) -> Iterator[Failure]:
    gibberish = set(conversation.persona.gibberish)
    for exchange in conversation.exchanges:
        said = (exchange.reply or {}).get("messages") or []
        if exchange.stated and nlg.acknowledge(exchange.stated) not in said:
            yield Failure("misunderstood", f"turn {exchange.turn_no}: {exchange.text!r} got {said}")
        # unintelligible words are said not understood: at once, or, the second time, with the
        # question left open ("I still didn't catch that, so I'll leave the genre open ...")
        not_understood = nlg.NOT_UNDERSTOOD in said or any(m.startswith(_STILL_NOT) for m in said)
        if exchange.text in gibberish and not not_understood:
            yield Failure("misunderstood", f"turn {exchange.turn_no}: {exchange.text!r} got {said}")


def _preferences(conversation: Conversation) -> Iterator[Failure]:
    wishes: dict[str, Any] = {}
    set_aside: list[str] = []
    seen: list[Any] = []
    for exchange in conversation.exchanges:
        wishes.update(exchange.stated)
        reply = exchange.reply or {}
        set_aside += [m for m in reply.get("messages") or [] if m.startswith(nlg.NO_EXACT_MATCH)]
        film = reply.get("recommendation")
        if not film or film.get("id") in seen:
            continue  # a film stays proposed over several turns: judge it once
        seen.append(film.get("id"))
        for slot, value in wishes.items():
            if not any(_named(slot, value) in notice for notice in set_aside) \
                    and not honours(film, slot, value):
                yield Failure("preference", f"turn {exchange.turn_no}: {film.get('title')!r} "
                              f"breaks the wish {slot}={value!r}")


def honours(film: dict[str, Any], slot: str, value: Any) -> bool:
    """Whether the proposed ``film`` (a reply's ``recommendation``) meets one wish."""
    if slot == "genre":
        values = value if isinstance(value, list) else [value]
        return all(genre in (film.get("genres") or []) for genre in values)
    if slot == "actor":
        return value in (film.get("cast") or [])
    if slot == "director":
        return value in (film.get("directors") or [film.get("director")])
    if slot == "mpaa":
        return film.get("mpaa") == value
    return True


def _named(slot: str, value: Any) -> str:
    """How the no-match notice names a wish it set aside (``nlg.relaxed``)."""
    if slot == "genre":
        values = value if isinstance(value, list) else [value]
        return f"the genre {join_words([str(v) for v in values])}"
    if slot == "mpaa":
        return f"the rating {value}"
    return f"the {slot} {value}"


def _ending(conversation: Conversation) -> Iterator[Failure]:
    last = conversation.polls[-1] if conversation.polls else \
        (conversation.exchanges[-1].reply or {}) if conversation.exchanges else {}
    if last.get("signal") != "end" or last.get("passiveLen"):
        tail = list(conversation.messages())[-1:]
        yield Failure("no_end", f"after {conversation.turns} turns: signal {last.get('signal')!r}, "
                      f"last message {tail}")
