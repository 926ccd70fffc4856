"""The public chatbot: sessions, idempotent numbered turns, transcripts. Example::

    bot = Chatbot(seed=0)                       # catalogue from DATABASE_URL / ./var
    turn = bot.turn(None, "")                   # new session: intro + genre question
    turn = bot.turn(turn.session_id, "comedy with Jim Carrey", turn_no=2)
    bot.turn(turn.session_id, "comedy with Jim Carrey", turn_no=2) == turn   # a retry: True

Session ids: ``None`` starts a conversation under a new random id, always. A client may also
choose the id of a new conversation by sending it with ``turn_no=1`` (so even the first turn can
be retried safely). Any other turn on an id that is not stored raises ``UnknownSession`` (a
``KeyError``; HTTP 404) rather than silently starting over, so a client notices a lost session.
An id no session can have (see ``SESSION_ID_RULE``) raises ``InvalidRequest`` (HTTP 400).

Turn numbers: turn ``k`` of a session is its ``k``-th user turn, the first being 1. Sending
``turn_no`` equal to the last processed turn with the same text returns the stored reply without
advancing the dialog (a retry after a timeout or a crashed instance is answered exactly once);
the same number with another text, or any number other than the last or the next, raises
``TurnOutOfOrder`` (HTTP 409): the turn was not applied. Of several turns sent at once with the
same number, exactly one is applied; the others get its reply (same text) or the 409.
``turn_no=None`` means "the next".

Request keys: a turn without ``turn_no`` may carry a ``request_key`` (the PUMA agent passes the
request's ``x-request-id``, which Envoy keeps when it re-sends a request to another instance).
A key is scoped to its session: the same key again *in the same session, with the same text* is
answered with the stored reply, like a repeated ``turn_no``; any other turn is applied. A key
never selects or names a session, so two clients sending the same key never meet.

Polls: ``poll(id, index=k)`` reads message ``k`` of the last turn's reply without changing
anything, so a poll whose answer was lost can be sent again; ``poll(id)`` without an index is the
original protocol's destructive read (it takes the next queued message).

Input is never trusted: any text (empty, huge, control characters, lone surrogates, bytes) is
cleaned and answered. Errors of collaborators (a database or mesh call failing) do propagate,
unhandled, and nothing is stored, so the client can retry the same ``turn_no``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatbot.components import Components, LocalDb, in_process, local_components
from chatbot.dialog import DialogManager, new_state
from chatbot.errors import InvalidRequest, SessionConflict, TurnOutOfOrder, UnknownSession
from chatbot.sessions import MemorySessionStore, SessionStore
from chatbot.text import MAX_INPUT_CHARS, clean_input

log = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_WRITE_ATTEMPTS = 5
SESSION_ID_RULE = "1-100 characters, each an ASCII letter, a digit or one of _ . : -"


def check_session_id(session_id: object) -> None:
    """`InvalidRequest` (HTTP 400) saying what an id may look like, for one no session can have.

    Example: ``check_session_id("abc-1")`` passes; ``check_session_id("é1")`` raises.
    """
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        shown = json.dumps(session_id if isinstance(session_id, str) else str(session_id), ensure_ascii=True)
        raise InvalidRequest(f"id: {shown[:80]} cannot be a conversation id: an id is {SESSION_ID_RULE} "
                             "(or send \"-1\" to start a conversation under a new id)")


@dataclass(frozen=True)
class Turn:
    """The bot's answer to one user turn."""

    session_id: str
    messages: list[str]
    signal: str | None = None
    recommendation: dict[str, Any] | None = None
    turn_no: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field. Its list and film are this turn's own, not copies: it is
        written to a session store, which stores its JSON text at once (`dataclasses.asdict`'s deep
        copy was ~4% of an agent's Python under load, round 5 of issue 20)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Polled:
    """One message for the listener protocol, how many follow it, and (for a poll by index) which
    message of which turn it is."""

    message: str | None
    remaining: int
    signal: str | None
    index: int | None = None
    turn_no: int | None = None


class Chatbot:
    """Movie-recommendation conversations over a ``SessionStore``.

    ``store``: where conversations live; None keeps them in this process's memory
    (``MemorySessionStore``: gone when the process exits). The deployments pass
    ``chatbot.stores.session_store()``, the store ``CHATBOT_SESSION_STORE`` names (SQL by
    default). ``components`` (see ``chatbot.components``) replaces the in-process understanding,
    sentiment, policy and database; without it, ``catalog`` and ``recommender`` are used, or
    loaded from ``database_url`` (default: settings). ``seed`` fixes the paraphrases of every
    session (same seed + same inputs -> same messages); ``seed=None`` draws one per session.
    """

    def __init__(
        self,
        store: SessionStore | None = None,
        catalog: Any = None,
        recommender: Any = None,
        seed: int | None = 0,
        *,
        components: Components | None = None,
        database_url: str | None = None,
    ) -> None:
        self.store = store if store is not None else MemorySessionStore()
        self.seed = seed
        self._dialog = DialogManager(components or _load_components(catalog, recommender,
                                                                    database_url))

    def turn(self, session_id: str | None, text: object, *, turn_no: int | None = None,
             request_key: str | None = None) -> Turn:
        """Answer ``text`` in conversation ``session_id`` (None: a new one). See the module doc."""
        if turn_no is not None and (type(turn_no) is not int or turn_no < 1):
            raise TurnOutOfOrder(f"turn_no: {turn_no!r} must be a whole number from 1")
        said = _fingerprint(text)
        key = request_key if turn_no is None and request_key else None
        if session_id is None:
            if turn_no not in (None, 1):
                raise TurnOutOfOrder(f"turn_no: a new session starts at turn 1, not {turn_no}")
            return self._start(uuid.uuid4().hex, text, said, key)
        check_session_id(session_id)
        for _attempt in range(_WRITE_ATTEMPTS):
            try:
                record, version = self.store.get(session_id)
            except UnknownSession:
                if turn_no != 1:
                    raise
                return self._start(session_id, text, said, key)
            replay = _replay(record, turn_no, said, key)
            if replay is not None:
                return replay
            try:
                return self._advance(session_id, record, version, text, said, key)
            except SessionConflict:
                log.info("session %s changed under turn %s; re-reading", session_id, turn_no)
        raise SessionConflict(f"session {session_id!r}: too many concurrent writers; retry")

    def poll(self, session_id: str, *, index: int | None = None, turn_no: int | None = None) -> Polled:
        """Message ``index`` of the last turn's reply (0 is the one the turn answered with),
        read without changing anything; ``turn_no``, if given, must be that turn's number
        (``TurnOutOfOrder`` otherwise). Without ``index``: the original protocol's poll, which
        takes the next queued message (a poll whose answer is lost loses that message)."""
        check_session_id(session_id)
        if index is None:
            return self._take(session_id)
        record, _ = self.store.get(session_id)
        last = int(record.get("turn_no", 0))
        if turn_no is not None and turn_no != last:
            raise TurnOutOfOrder(f"turn_no: {turn_no} is not the last turn ({last}); poll its "
                                 'messages with turn_no %d, or read them all with mode "transcript"' % last)
        reply = record.get("reply") or {}
        messages = list(reply.get("messages") or [])
        remaining = max(0, len(messages) - index - 1)
        signal = "listen" if remaining else reply.get("signal")
        return Polled(messages[index] if index < len(messages) else None, remaining, signal, index, last)

    def _take(self, session_id: str) -> Polled:
        for _attempt in range(_WRITE_ATTEMPTS):
            record, version = self.store.get(session_id)
            outbox = list(record.get("outbox") or [])
            signal = (record.get("reply") or {}).get("signal")
            if not outbox:
                return Polled(None, 0, signal)
            message = outbox.pop(0)
            try:
                self.store.put(session_id, record | {"outbox": outbox}, version)
            except SessionConflict:
                continue
            return Polled(message, len(outbox), "listen" if outbox else signal)
        raise SessionConflict(f"session {session_id!r}: too many concurrent writers; retry")

    def transcript(self, session_id: str) -> dict[str, Any] | None:
        return self.store.transcript(session_id)

    def conversation(self, session_id: str) -> dict[str, Any]:
        """The conversation so far, to show it again (e.g. after a page reload); reads only.

        ``{"userid", "turn_no": last turn, "signal": its signal ("end" once over),
        "recommendation": the film under discussion or None, "history": [{"u": [...],
        "c": [...], "at": ISO time, "film": the film first proposed in that turn (absent
        otherwise)}, ...]}``; ``UnknownSession`` if there is no such session.
        """
        check_session_id(session_id)
        record, _ = self.store.get(session_id)
        reply = record.get("reply") or {}
        history = (self.store.transcript(session_id) or {}).get("history", [])
        return {"userid": session_id, "turn_no": int(record.get("turn_no", 0)),
                "signal": reply.get("signal"), "recommendation": reply.get("recommendation"),
                "history": history}

    def save_survey(self, session_id: str, answers: dict[str, Any]) -> None:
        self.store.save_survey(session_id, answers)

    def _start(self, session_id: str, text: object, said: str, key: str | None = None) -> Turn:
        seed = self.seed if self.seed is not None else int.from_bytes(os.urandom(4), "big")
        step = self._dialog.step(new_state(seed), text)
        reply = _reply(session_id, step, 1)
        record = _record(step.state, reply, said, key)
        try:
            self.store.create(session_id, record, transcript_entry=_entry(text, reply, None))
        except SessionConflict:
            stored, _ = self.store.get(session_id)  # a concurrent retry of the same first turn
            replay = _replay(stored, 1, said)
            if replay is None:
                raise
            return replay
        log.debug("session %s started", session_id)
        return reply

    def _advance(self, session_id: str, record: dict[str, Any], version: int, text: object,
                 said: str, key: str | None = None) -> Turn:
        step = self._dialog.step(record["dialog"], text)
        reply = _reply(session_id, step, int(record.get("turn_no", 0)) + 1)
        shown = (record.get("reply") or {}).get("recommendation")
        self.store.put(session_id, _record(step.state, reply, said, key), version,
                       transcript_entry=_entry(text, reply, shown))
        return reply


def _replay(record: dict[str, Any], turn_no: int | None, said: str,
            key: str | None = None) -> Turn | None:
    """The stored reply if this turn repeats the last one (its ``turn_no``, or its request
    ``key``, with the same text); None if it is the next turn; raise if it conflicts."""
    last = int(record.get("turn_no", 0))
    same_text = record.get("said") in (None, said)  # None: a record from before texts were kept
    if turn_no is None:
        repeated = key is not None and record.get("request_key") == key and same_text
        return Turn.from_dict(record["reply"]) if repeated and record.get("reply") else None
    if turn_no == last + 1:
        return None
    if turn_no == last and record.get("reply"):
        if not same_text:
            raise TurnOutOfOrder(f"turn_no: {turn_no} was already answered for another text, so this "
                                 f"one was not applied; send turn_no {last + 1} for a new turn (the "
                                 "same text again gets the stored reply)")
        return Turn.from_dict(record["reply"])
    raise TurnOutOfOrder(f"turn_no: {turn_no} is out of order; the last turn was {last}, "
                         f"so send {last} to repeat it or {last + 1} for the next")


def _reply(session_id: str, step: Any, turn_no: int) -> Turn:
    return Turn(session_id=session_id, messages=list(step.messages), signal=step.signal,
                recommendation=step.recommendation, turn_no=turn_no)


def _record(dialog_state: dict[str, Any], reply: Turn, said: str,
            key: str | None = None) -> dict[str, Any]:
    return {"dialog": dialog_state, "turn_no": reply.turn_no, "reply": reply.to_dict(),
            "outbox": list(reply.messages[1:]), "request_key": key, "said": said}


def _fingerprint(text: object) -> str:
    """What identifies a turn's text when it is re-sent: a digest of the text as understood."""
    cleaned, _ = clean_input(text)
    return hashlib.sha256(cleaned.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _entry(text: object, reply: Turn, shown: dict[str, Any] | None) -> dict[str, Any]:
    """The transcript's record of a turn: what was said, when, and the film it proposed if that
    is new (``shown``: the film of the turn before), so a page can show it again as it was."""
    said = _as_said(text)
    entry: dict[str, Any] = {"u": [said] if said else [], "c": list(reply.messages),
                             "at": datetime.now(UTC).isoformat(timespec="seconds")}
    film = reply.recommendation
    if film and (not shown or film.get("id") != shown.get("id")):
        entry["film"] = film
    return entry


def _as_said(text: object) -> str:
    """The user's text for the transcript: as received, cut and spaced as understanding reads it
    (``MAX_INPUT_CHARS``, whitespace collapsed), nothing else changed. The store boundary
    (``storable``) then turns lone surrogates and NUL into U+FFFD, as it does for the survey."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    return " ".join(str(text)[:MAX_INPUT_CHARS].split())


def _load_components(catalog: Any, recommender: Any, database_url: str | None) -> Components:
    from chatbot.catalog import Catalog
    from chatbot.db.prepare import ensure_prepared
    from chatbot.recommender import Recommender

    if catalog is None and recommender is None:
        return in_process(LocalDb.load(database_url))  # prepares the database first if it is not
    if catalog is None or recommender is None:
        ensure_prepared(database_url)
    catalog = catalog if catalog is not None else Catalog.load(database_url)
    if recommender is None:
        recommender = Recommender.load(database_url, catalog=catalog)
    return local_components(catalog, recommender)
