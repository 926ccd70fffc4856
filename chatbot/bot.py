"""The public chatbot: sessions, idempotent numbered turns, transcripts. Example::

    bot = Chatbot(seed=0)                       # catalogue from DATABASE_URL / ./var
    turn = bot.turn(None, "")                   # new session: intro + genre question
    turn = bot.turn(turn.session_id, "comedy with Jim Carrey", turn_no=2)
    bot.turn(turn.session_id, "comedy with Jim Carrey", turn_no=2) == turn   # a retry: True

Session ids: ``None`` starts a conversation under a new random id. A client may also choose
the id of a new conversation by sending it with ``turn_no=1`` (so even the first turn can be
retried safely). Any other turn on an id that is not stored raises ``UnknownSession`` (a
``KeyError``; HTTP 404) rather than silently starting over, so a client notices a lost session.

Turn numbers: turn ``k`` of a session is its ``k``-th user turn, the first being 1. Sending
``turn_no`` equal to the last processed turn returns the stored reply without advancing the
dialog (a retry after a timeout or a crashed instance is answered exactly once); any number
other than that or the next raises ``TurnOutOfOrder``. ``turn_no=None`` means "the next".

Request keys: a turn without ``turn_no`` may carry a ``request_key`` (the PUMA agent passes the
request's ``x-request-id``, which Envoy keeps when it re-sends a request to another instance).
The same key again is answered with the stored reply, like a repeated ``turn_no``; a first turn
with a key gets a session id derived from it, so its repeat finds the session it started.

Input is never trusted: any text (empty, huge, control characters, lone surrogates, bytes) is
cleaned and answered. Errors of collaborators (a database or mesh call failing) do propagate,
unhandled, and nothing is stored, so the client can retry the same ``turn_no``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from chatbot.components import Components, local_components
from chatbot.dialog import DialogManager, new_state
from chatbot.errors import SessionConflict, TurnOutOfOrder, UnknownSession
from chatbot.sessions import MemorySessionStore, SessionStore
from chatbot.text import clean_input

log = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class Turn:
    """The bot's answer to one user turn."""

    session_id: str
    messages: list[str]
    signal: str | None = None
    recommendation: dict[str, Any] | None = None
    turn_no: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Polled:
    """One queued message for the listener protocol, and how many are still queued."""

    message: str | None
    remaining: int
    signal: str | None


class Chatbot:
    """Movie-recommendation conversations over a ``SessionStore``.

    ``components`` (see ``chatbot.components``) replaces the in-process understanding,
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
        key = request_key if turn_no is None and request_key else None
        if session_id is None:
            if turn_no not in (None, 1):
                raise TurnOutOfOrder(f"turn_no: a new session starts at turn 1, not {turn_no}")
            if key is None:
                return self._start(uuid.uuid4().hex, text)
            session_id, turn_no = _keyed_session_id(key), 1
        if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
            raise UnknownSession(str(session_id)[:100])
        for _attempt in range(_WRITE_ATTEMPTS):
            try:
                record, version = self.store.get(session_id)
            except UnknownSession:
                if turn_no != 1:
                    raise
                return self._start(session_id, text, key)
            replay = _replay(record, turn_no, key)
            if replay is not None:
                return replay
            try:
                return self._advance(session_id, record, version, text, key)
            except SessionConflict:
                log.info("session %s changed under turn %s; re-reading", session_id, turn_no)
        raise SessionConflict(f"session {session_id!r}: too many concurrent writers; retry")

    def poll(self, session_id: str) -> Polled:
        """Take the next message queued by the last turn (the original listener protocol)."""
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
        if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
            raise UnknownSession(str(session_id)[:100])
        record, _ = self.store.get(session_id)
        reply = record.get("reply") or {}
        history = (self.store.transcript(session_id) or {}).get("history", [])
        return {"userid": session_id, "turn_no": int(record.get("turn_no", 0)),
                "signal": reply.get("signal"), "recommendation": reply.get("recommendation"),
                "history": history}

    def save_survey(self, session_id: str, answers: dict[str, Any]) -> None:
        self.store.save_survey(session_id, answers)

    def _start(self, session_id: str, text: object, key: str | None = None) -> Turn:
        seed = self.seed if self.seed is not None else int.from_bytes(os.urandom(4), "big")
        step = self._dialog.step(new_state(seed), text)
        reply = _reply(session_id, step, 1)
        record = _record(step.state, reply, key)
        try:
            self.store.create(session_id, record, transcript_entry=_entry(text, reply, None))
        except SessionConflict:
            stored, _ = self.store.get(session_id)  # a concurrent retry of the same first turn
            replay = _replay(stored, 1)
            if replay is None:
                raise
            return replay
        log.debug("session %s started", session_id)
        return reply

    def _advance(self, session_id: str, record: dict[str, Any], version: int, text: object,
                 key: str | None = None) -> Turn:
        step = self._dialog.step(record["dialog"], text)
        reply = _reply(session_id, step, int(record.get("turn_no", 0)) + 1)
        shown = (record.get("reply") or {}).get("recommendation")
        self.store.put(session_id, _record(step.state, reply, key), version,
                       transcript_entry=_entry(text, reply, shown))
        return reply


def _replay(record: dict[str, Any], turn_no: int | None, key: str | None = None) -> Turn | None:
    """The stored reply if ``turn_no`` (or the request ``key``) repeats the last turn; raise if
    out of order."""
    last = int(record.get("turn_no", 0))
    if turn_no is None and key is not None and record.get("request_key") == key and record.get("reply"):
        return Turn.from_dict(record["reply"])
    if turn_no is None or turn_no == last + 1:
        return None
    if turn_no == last and record.get("reply"):
        return Turn.from_dict(record["reply"])
    raise TurnOutOfOrder(f"turn_no: {turn_no} is out of order; the last turn was {last}, "
                         f"so send {last} to repeat it or {last + 1} for the next")


def _reply(session_id: str, step: Any, turn_no: int) -> Turn:
    return Turn(session_id=session_id, messages=list(step.messages), signal=step.signal,
                recommendation=step.recommendation, turn_no=turn_no)


def _record(dialog_state: dict[str, Any], reply: Turn, key: str | None = None) -> dict[str, Any]:
    return {"dialog": dialog_state, "turn_no": reply.turn_no, "reply": reply.to_dict(),
            "outbox": list(reply.messages[1:]), "request_key": key}


def _keyed_session_id(key: str) -> str:
    """The id of the session a first turn with request ``key`` starts (the same on a retry)."""
    return "k" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:31]


def _entry(text: object, reply: Turn, shown: dict[str, Any] | None) -> dict[str, Any]:
    """The transcript's record of a turn: what was said, when, and the film it proposed if that
    is new (``shown``: the film of the turn before), so a page can show it again as it was."""
    cleaned, _ = clean_input(text)
    entry: dict[str, Any] = {"u": [cleaned] if cleaned else [], "c": list(reply.messages),
                             "at": datetime.now(UTC).isoformat(timespec="seconds")}
    film = reply.recommendation
    if film and (not shown or film.get("id") != shown.get("id")):
        entry["film"] = film
    return entry


def _load_components(catalog: Any, recommender: Any, database_url: str | None) -> Components:
    from chatbot.catalog import Catalog
    from chatbot.db.prepare import ensure_prepared
    from chatbot.recommender import Recommender

    if catalog is None or recommender is None:
        ensure_prepared(database_url)  # a fresh checkout's first start: migrate and load once
    catalog = catalog if catalog is not None else Catalog.load(database_url)
    if recommender is None:
        recommender = Recommender.load(database_url, catalog=catalog)
    return local_components(catalog, recommender)
