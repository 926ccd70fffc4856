"""Where conversations live between turns: ``SessionStore`` and two implementations.

- ``MemorySessionStore``: one process (the monolith); thread-safe; bounded and expiring, so
  abandoned sessions are freed.
- ``SqlSessionStore``: the ``chat_sessions`` / ``transcripts`` / ``survey_answers`` tables via
  SQLAlchemy; shared by processes, so any instance can serve any turn.

Writes are optimistic: ``put(id, state, expected_version)`` succeeds only if nobody wrote
since ``expected_version`` was read, else ``SessionConflict``; two concurrent writers can never
interleave into a corrupt session. Example::

    store = SqlSessionStore("sqlite:///var/chatbot.sqlite3")
    version = store.create("abc", {"stage": "genre"})
    state, version = store.get("abc")
    store.put("abc", {"stage": "actor"}, version, transcript_entry={"u": ["comedy"], "c": [...]})
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, func, insert, literal, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import IntegrityError

from chatbot.db.engine import make_engine
from chatbot.db.models import ChatSession, SurveyAnswer, Transcript
from chatbot.errors import InvalidRequest, SessionConflict, UnknownSession, unknown_fields_text
from chatbot.text import storable

log = logging.getLogger(__name__)

Entry = dict[str, Any]
"""One turn of a transcript: ``{"u": [user utterances], "c": [chatbot messages]}``, and
optionally ``"at"`` (ISO time of the turn) and ``"film"`` (the film the turn proposed, a dict)."""


class SessionStore(ABC):
    """Conversation state by session id, plus transcripts and survey answers."""

    def ping(self) -> None:
        """Raise if the store cannot be read now (PUMA's readiness check, ``chatbot.stores.ready``)."""
        return None  # a store with nothing to reach (in memory) is always reachable

    @abstractmethod
    def get(self, session_id: str) -> tuple[dict[str, Any], int]:
        """``(state, version)``; ``UnknownSession`` if there is none."""

    @abstractmethod
    def create(self, session_id: str, state: Mapping[str, Any], *,
               transcript_entry: Entry | None = None) -> int:
        """Store a new session at version 1; ``SessionConflict`` if the id is taken."""

    @abstractmethod
    def put(self, session_id: str, state: Mapping[str, Any], expected_version: int, *,
            transcript_entry: Entry | None = None) -> int:
        """Replace the state if still at ``expected_version``; the new version.

        ``transcript_entry`` is appended to the transcript in the same write.
        """

    @abstractmethod
    def delete(self, session_id: str) -> None:
        """Forget the session (not its transcript); no error if absent."""

    @abstractmethod
    def append_transcript(self, userid: str, entry: Entry) -> None:
        """Add one turn to ``userid``'s transcript, creating it if needed."""

    @abstractmethod
    def transcript(self, userid: str) -> dict[str, Any] | None:
        """``{"userid", "timestamp", "history": [{"c": [...], "u": [...]}, ...]}`` or None."""

    @abstractmethod
    def save_survey(self, userid: str, answers: Mapping[str, Any]) -> None:
        """Store the end-of-chat survey (see ``validate_survey``): one per conversation, so
        answers sent again (a re-sent request, changed answers) replace the earlier ones."""


def validate_survey(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check survey answers: ``liked`` and ``engagement`` 1-5, ``chatbot_before`` yes/no,
    ``comments`` text (≤ 5000 characters). Missing answers are None.

    Example: ``validate_survey({"liked": 4, "engagement": "5"})``.
    """
    unknown = set(answers) - {"liked", "engagement", "chatbot_before", "comments"}
    if unknown:
        raise InvalidRequest(f"survey: unknown field(s) {unknown_fields_text(unknown)}; expected liked, "
                             "engagement, chatbot_before, comments")
    result: dict[str, Any] = {}
    for field in ("liked", "engagement"):
        result[field] = _score(field, answers.get(field))
    before = answers.get("chatbot_before")
    if isinstance(before, str):
        before = {"true": True, "yes": True, "1": True, "false": False, "no": False,
                  "0": False, "": None}.get(before.strip().lower(), before)
    if before is not None and not isinstance(before, bool):
        raise InvalidRequest(f"survey.chatbot_before: {before!r} is not yes/no (true or false)")
    result["chatbot_before"] = before
    comments = answers.get("comments")
    if comments is not None and (not isinstance(comments, str) or len(comments) > 5000):
        raise InvalidRequest("survey.comments: must be text of at most 5000 characters")
    result["comments"] = comments
    return result


def _score(field: str, value: Any) -> int | None:
    from chatbot.numbers import whole_number

    return whole_number(f"survey.{field}", value, least=1, most=5)


class MemorySessionStore(SessionStore):
    """In-process store; keeps at most ``max_sessions``, forgetting the least recently used and
    any untouched for ``ttl_s`` seconds."""

    def __init__(self, *, max_sessions: int = 10_000, ttl_s: float = 24 * 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions: {max_sessions} must be at least 1")
        self.max_sessions = max_sessions
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[str, int, float]] = OrderedDict()
        self._transcripts: dict[str, dict[str, Any]] = {}
        self.surveys: list[dict[str, Any]] = []

    def get(self, session_id: str) -> tuple[dict[str, Any], int]:
        with self._lock:
            self._expire()
            if session_id not in self._sessions:
                raise UnknownSession(session_id)
            state, version, _ = self._sessions[session_id]
            return json.loads(state), version

    def create(self, session_id: str, state: Mapping[str, Any], *,
               transcript_entry: Entry | None = None) -> int:
        with self._lock:
            self._expire()
            if session_id in self._sessions:
                raise SessionConflict(f"session {session_id!r} already exists")
            self._store(session_id, state, 1, transcript_entry)
            while len(self._sessions) > self.max_sessions:
                evicted, _ = self._sessions.popitem(last=False)
                log.info("session store full: forgot session %s", evicted)
            return 1

    def put(self, session_id: str, state: Mapping[str, Any], expected_version: int, *,
            transcript_entry: Entry | None = None) -> int:
        with self._lock:
            if session_id not in self._sessions:
                raise UnknownSession(session_id)
            version = self._sessions[session_id][1]
            if version != expected_version:
                raise SessionConflict(f"session {session_id!r} is at version {version}, "
                                      f"not {expected_version}: re-read and retry")
            self._store(session_id, state, version + 1, transcript_entry)
            return version + 1

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def append_transcript(self, userid: str, entry: Entry) -> None:
        with self._lock:
            self._append(userid, entry)

    def transcript(self, userid: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._transcripts.get(userid)
            return json.loads(json.dumps(found)) if found else None

    def save_survey(self, userid: str, answers: Mapping[str, Any]) -> None:
        checked = storable(validate_survey(answers))  # the same text rule as the databases'
        with self._lock:
            self.surveys[:] = [s for s in self.surveys if s["userid"] != userid]  # the latest counts
            self.surveys.append({"userid": userid, **checked, "created_at": _now().isoformat()})

    def __len__(self) -> int:
        return len(self._sessions)

    def _store(self, session_id: str, state: Mapping[str, Any], version: int,
               entry: Entry | None) -> None:
        self._sessions[session_id] = (json.dumps(state), version, self._clock())
        self._sessions.move_to_end(session_id)
        if entry is not None:
            self._append(session_id, entry)

    def _append(self, userid: str, entry: Entry) -> None:
        transcript = self._transcripts.setdefault(userid, {"userid": userid, "history": []})
        transcript["timestamp"] = _now().isoformat()
        transcript["history"].append(_entry(entry))
        if len(self._transcripts) > self.max_sessions:
            self._transcripts.pop(next(iter(self._transcripts)))

    def _expire(self) -> None:
        cutoff = self._clock() - self.ttl_s
        while self._sessions:
            oldest = next(iter(self._sessions))
            if self._sessions[oldest][2] >= cutoff:
                break
            del self._sessions[oldest]


def _entry(entry: Mapping[str, Any]) -> Entry:
    kept: Entry = {"c": [str(m) for m in entry.get("c", [])], "u": [str(m) for m in entry.get("u", [])]}
    if isinstance(entry.get("at"), str):
        kept["at"] = entry["at"]
    if isinstance(entry.get("film"), Mapping):
        kept["film"] = dict(entry["film"])
    return storable(kept)


def _now() -> datetime:
    return datetime.now(UTC)


class SqlSessionStore(SessionStore):
    """Sessions in the database at ``url`` (default: settings), shared by every process.

    ``put`` is one conditional ``UPDATE ... WHERE id = ? AND version = ?``; the state, its
    version and the transcript entry change in one transaction.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self._owns_engine = engine is None
        self._engine = engine if engine is not None else make_engine(url)

    def close(self) -> None:
        """Release the connections (only if this store created the engine)."""
        if self._owns_engine:
            self._engine.dispose()

    def ping(self) -> None:
        with self._engine.connect() as conn:  # a real table: a moved or broken file fails here
            conn.execute(select(ChatSession.id).limit(1)).first()

    def get(self, session_id: str) -> tuple[dict[str, Any], int]:
        with self._engine.connect() as conn:
            row = conn.execute(_GET, {"sid": session_id}).first()
        if row is None:
            raise UnknownSession(session_id)
        return json.loads(row.state), int(row.version)

    def create(self, session_id: str, state: Mapping[str, Any], *,
               transcript_entry: Entry | None = None) -> int:
        try:
            with self._engine.begin() as conn:
                conn.execute(_CREATE, {"sid": session_id, "state": json.dumps(state), "stamp": _now()})
                if transcript_entry is not None:
                    _sql_append(conn, session_id, transcript_entry)
        except IntegrityError:
            raise SessionConflict(f"session {session_id!r} already exists") from None
        return 1

    def put(self, session_id: str, state: Mapping[str, Any], expected_version: int, *,
            transcript_entry: Entry | None = None) -> int:
        with self._engine.begin() as conn:
            updated = conn.execute(_PUT, {"sid": session_id, "expected": expected_version, "new_state": json.dumps(state),
                                          "new_version": expected_version + 1, "stamp": _now()}).rowcount
            if updated != 1:
                exists = conn.execute(
                    select(ChatSession.version).where(ChatSession.id == session_id)).first()
                if exists is None:
                    raise UnknownSession(session_id)
                raise SessionConflict(f"session {session_id!r} is at version {exists.version}, "
                                      f"not {expected_version}: re-read and retry")
            if transcript_entry is not None:
                _sql_append(conn, session_id, transcript_entry)
        return expected_version + 1

    def delete(self, session_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa_delete(ChatSession).where(ChatSession.id == session_id))

    def purge(self, older_than_s: float) -> int:
        """Delete sessions not written for ``older_than_s`` seconds; how many went."""
        cutoff = datetime.fromtimestamp(time.time() - older_than_s, UTC)
        with self._engine.begin() as conn:
            return conn.execute(sa_delete(ChatSession).where(ChatSession.updated_at < cutoff)).rowcount

    def append_transcript(self, userid: str, entry: Entry) -> None:
        with self._engine.begin() as conn:
            _sql_append(conn, userid, entry)

    def transcript(self, userid: str) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(Transcript.timestamp, Transcript.history).where(Transcript.userid == userid)
            ).first()
        if row is None:
            return None
        stamp = row.timestamp.isoformat() if row.timestamp else None
        return {"userid": userid, "timestamp": stamp, "history": json.loads(row.history)}

    def save_survey(self, userid: str, answers: Mapping[str, Any]) -> None:
        values = {"created_at": _now(), **validate_survey(answers)}
        for _attempt in range(3):
            try:
                with self._engine.begin() as conn:
                    replaced = conn.execute(update(SurveyAnswer).where(SurveyAnswer.userid == userid)
                                            .values(**values)).rowcount
                    if not replaced:
                        conn.execute(insert(SurveyAnswer).values(userid=userid, **values))
                return
            except IntegrityError:  # another writer inserted this conversation's row first: update it
                continue
        raise SessionConflict(f"survey of {userid!r}: too many concurrent writers; retry")


# Built once: the per-turn statements are then only bound and run (SQLAlchemy caches their SQL).
_GET = select(ChatSession.state, ChatSession.version).where(ChatSession.id == bindparam("sid"))
_PUT = (update(ChatSession)
        .where(ChatSession.id == bindparam("sid"), ChatSession.version == bindparam("expected"))
        .values(state=bindparam("new_state"), version=bindparam("new_version"), updated_at=bindparam("stamp")))
# A conversation's first turn: a statement built per call cost its building and its cache key
# (~4% of an agent's Python under load, round 5 of issue 20).
_CREATE = insert(ChatSession).values(id=bindparam("sid"), state=bindparam("state"), version=1,
                                     updated_at=bindparam("stamp"))
_FIRST_ENTRY = insert(Transcript).values(userid=bindparam("uid"), history=bindparam("history"),
                                         timestamp=bindparam("stamp"))
# The transcript grows in the database: "[a]" + b -> "[a, b]", the text json.dumps gives the whole
# list, without reading and re-writing the history each turn (|| and substr exist in SQLite and
# PostgreSQL alike).
_ENTRY = bindparam("entry", type_=Transcript.history.type)
_APPEND = (update(Transcript).where(Transcript.userid == bindparam("uid"))
           .values(timestamp=bindparam("stamp"), history=case(
               (Transcript.history == "[]", literal("[") + _ENTRY + "]"),
               else_=func.substr(Transcript.history, 1, func.length(Transcript.history) - 1) + ", " + _ENTRY + "]")))


def _sql_append(conn: Connection, userid: str, entry: Entry) -> None:
    """Add one entry to a transcript inside the caller's transaction: one UPDATE, or an INSERT
    for the first entry."""
    text = json.dumps(_entry(entry))
    stamp = _now()
    if conn.execute(_APPEND, {"uid": userid, "entry": text, "stamp": stamp}).rowcount == 0:
        conn.execute(_FIRST_ENTRY, {"uid": userid, "history": f"[{text}]", "stamp": stamp})
