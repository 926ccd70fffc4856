"""The remembered answers (`puma.remote(..., cache=N)`) that one host's instances share.

Each instance keeps its own memory of answers (`puma.remotes.Memo`); without this, what one
instance learnt the others had to ask again: a fresh deployment with 3 agent instances asked the
policy 909 times for 347 different states in its first minute, the db 334 times for 109. Here an
answer one instance was given is written to a SQLite file in the deployment's run directory
(`<run dir>/answers/<service>.sqlite3`, one per service asked), and a sibling that does not
remember it reads it there before asking the service. The supervisor removes the files when the
deployment starts and when it stops (`forget`): a deployment that starts again starts with nothing
remembered, so an answer never outlives the deployment that was given it.

Answers are stored as JSON text (never pickled), at most `max_entries` per service and 64 Mi
characters of text (`MAX_STORE_CHARS`), the oldest written going first; an answer over 1 Mi
characters stays in its process (the run directory may be a tmpfs the logs and Envoy's endpoint
files need too). A memory must never fail a call: any SQLite or file error is logged once
and the store is switched off (the instance then asks the service, as before). Example::

    share_in(Path("/tmp/puma-x/answers"))     # the worker: share_in(..., forker=True), before the app's import
    store = shared_store("db", 4096)          # None outside a deployment
    store.put(b"key", [1, 2]); store.get(b"key")   # -> '[1,2]'
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$")  # a service name as puma.config allows it
_BUSY_TIMEOUT_S = 0.05  # a write held up longer than this is skipped: the answer is only remembered
# The run dir may be a tmpfs (XDG_RUNTIME_DIR) that Envoy's endpoint files and the logs need too:
# an answer longer than this stays in its process, and a service's file keeps at most this much text.
MAX_ANSWER_CHARS = 1 << 20
MAX_STORE_CHARS = 64 << 20
_where: dict[str, Path | None] = {"dir": None}
_forker = {"pid": 0}  # the process that forks the sharing ones (a zygote): it never opens the files
_stores: dict[str, SharedAnswers] = {}
_stores_lock = threading.Lock()


def answers_dir(run_dir: Path) -> Path:
    """Where a deployment's instances share their answers: `<run dir>/answers`."""
    return run_dir / "answers"


def forget(run_dir: Path) -> None:
    """Remove what a deployment's instances shared (at its start and at its stop, even when its
    logs are kept): no answer outlives the deployment, nor reaches the next one in the same run dir."""
    shutil.rmtree(answers_dir(run_dir), ignore_errors=True)


def share_in(directory: Path | None, *, forker: bool = False) -> None:
    """Share remembered answers through files in `directory` (the worker's run directory's
    `answers`); None: each process remembers alone (tests, plain scripts). `forker`: this process
    forks the processes that share (a zygote its instances) and opens no file itself, so no
    SQLite connection crosses a fork (SQLite forbids using one in a child)."""
    _where["dir"] = directory
    _forker["pid"] = os.getpid() if forker else 0
    with _stores_lock:
        _stores.clear()


def shared_store(service: str, max_entries: int) -> SharedAnswers | None:
    """The store of `service`'s answers shared with this host's other instances, or None (no
    directory to share in, or a service name that is no file name)."""
    directory = _where["dir"]
    if directory is None or max_entries <= 0 or not _SAFE_NAME.match(service):
        return None
    with _stores_lock:
        store = _stores.get(service)
        if store is None:
            store = _stores[service] = SharedAnswers(directory / f"{service}.sqlite3", max_entries)
        else:
            store.max_entries = max(store.max_entries, max_entries)
        return store


class SharedAnswers:
    """Answers by key (bytes) as JSON text, in a SQLite file several processes read and write.
    One connection per process and thread (a connection never crosses a fork)."""

    def __init__(self, path: Path, max_entries: int) -> None:
        self.path, self.max_entries = path, max_entries
        self.off: str | None = None  # why the store was switched off
        self._local = threading.local()
        self._opened_in = 0  # the pid whose connections these are
        self._connections: list[sqlite3.Connection] = []  # never closed by a forked child (see _connection)
        self._writes = 0
        self._written_chars = 0  # since the last trim

    def get(self, key: bytes) -> str | None:
        """The JSON text remembered for `key`, or None."""
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            if not _transient(exc):
                self._switch_off(exc)
            return None
        return None if row is None else str(row[0])

    def put(self, key: bytes, answer: str) -> None:
        """Remember `answer` (JSON text) for `key`; past `max_entries` answers or `MAX_STORE_CHARS`
        of text, forget the oldest written. An answer over `MAX_ANSWER_CHARS` is not shared."""
        db = self._connection() if len(answer) <= MAX_ANSWER_CHARS else None
        if db is None:
            return
        self._writes += 1
        self._written_chars += len(answer)
        try:
            db.execute("INSERT OR REPLACE INTO answers (key, answer) VALUES (?, ?)", (key, answer))
            # Trimmed now and then, not per write.
            if self._writes % max(1, self.max_entries // 16) == 0 or self._written_chars > MAX_STORE_CHARS // 16:
                self._trim(db)
        except sqlite3.Error as exc:
            if not _transient(exc):  # a write that waited too long is skipped; anything else ends sharing
                self._switch_off(exc)

    def _trim(self, db: sqlite3.Connection) -> None:
        self._written_chars = 0
        db.execute("DELETE FROM answers WHERE rowid <= (SELECT max(rowid) FROM answers) - ?", (self.max_entries,))
        db.execute("DELETE FROM answers WHERE rowid <= (SELECT rowid FROM (SELECT rowid, sum(length(answer)) "
                   "OVER (ORDER BY rowid DESC) AS kept FROM answers) WHERE kept > ? ORDER BY rowid DESC LIMIT 1)",
                   (MAX_STORE_CHARS,))

    def _connection(self) -> sqlite3.Connection | None:
        pid = os.getpid()
        if self.off is not None or pid == _forker["pid"]:
            return None
        local = self._local
        if getattr(local, "pid", None) == pid:
            return local.db  # type: ignore[no-any-return]
        if self._opened_in not in (0, pid):  # forked from a process that had the file open: SQLite's
            self._switch_off(RuntimeError("forked from a process that had it open"))  # state is its parent's
            return None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            db.execute("PRAGMA synchronous=OFF")  # a memory: losing the last writes to a crash costs a call
            db.execute("CREATE TABLE IF NOT EXISTS answers (key BLOB PRIMARY KEY, answer TEXT NOT NULL)")
        except (sqlite3.Error, OSError) as exc:
            if not _transient(exc):  # siblings creating the file at the same moment: try again next call
                self._switch_off(exc)
            return None
        self._opened_in = pid
        self._connections.append(db)  # kept referenced: a child's garbage collector never closes it
        local.pid, local.db = pid, db
        return db

    def _switch_off(self, exc: BaseException) -> None:
        if self.off is None:
            self.off = f"{type(exc).__name__}: {exc}"
            log.warning("answers remembered in %s are no longer shared with this host's other instances (%s); "
                        "each instance asks for itself", self.path, self.off)


def _transient(exc: BaseException) -> bool:
    """A lock held by another process past the busy timeout: this write is skipped, sharing goes on."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))
