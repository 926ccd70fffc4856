"""Exceptions that mean "a part this service needs is down for now": answered 503 + Retry-After.

A store that is locked, full, moved or unreachable fails a request that may well succeed a moment
later, so its client should retry: not a 500, which says the request can never succeed. Known
kinds are recognised by name, without importing their libraries: SQLAlchemy's `OperationalError`,
`DisconnectionError` and a pool `TimeoutError` (and any DBAPI error that invalidated its
connection), `sqlite3.OperationalError`, psycopg's `OperationalError`, botocore's connection
errors. An app marks its own with `mark_unavailable`. A SQLAlchemy engine's error names its
database (`the SQLite database /srv/var/shop.sqlite3`, `the PostgreSQL database shop on db:5432`:
never its user or password) once the process has SQLAlchemy loaded (`name_databases`), so a port
needs no `mark_unavailable` to say which of its databases is down.

>>> class LedgerDown(Exception): ...
>>> mark_unavailable(LedgerDown, store="the ledger")
>>> unavailable(LedgerDown("timed out"))
('the ledger', 'timed out', 1.0)
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from typing import Any
from urllib.parse import unquote

_MARKED: dict[type[BaseException], tuple[str, float]] = {}
_KNOWN: dict[tuple[str, str], str] = {  # (module, class name) -> the part it means
    ("sqlalchemy.exc", "OperationalError"): "the database",
    ("sqlalchemy.exc", "DisconnectionError"): "the database",
    ("sqlalchemy.exc", "TimeoutError"): "the database (its connection pool)",
    ("sqlite3", "OperationalError"): "the database",
    ("psycopg.errors", "OperationalError"): "the database",
    ("psycopg", "OperationalError"): "the database",
    ("psycopg2", "OperationalError"): "the database",
    ("botocore.exceptions", "ConnectionError"): "the DynamoDB store",  # endpoint refused, connect timed out
    ("botocore.exceptions", "ConnectionClosedError"): "the DynamoDB store",
}
_DATABASE_ATTR = "_puma_database"  # set on a SQLAlchemy error by `_name_database`: which database
_BACKENDS = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "oracle": "Oracle", "mssql": "SQL Server"}
_named = False
_named_lock = threading.Lock()
MAX_REASON_CHARS = 600  # room for what is down and the command that starts it


def clip(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` if it fits in `limit` characters, else its first clauses (up to a "; " or ": ") that
    fit, then " (...)": never a clause cut in the middle, where a command to paste would start a
    wrong one (a pid file path cut at "var/").

    >>> clip("down; start it: run --pid-file var/x.pid", 30)
    'down; start it (...)'
    """
    if len(text) <= limit:
        return text
    cut = max(text.rfind("; ", 0, limit - 6), text.rfind(": ", 0, limit - 6))
    return (text[:cut] if cut > 0 else text[:limit - 6].rsplit(" ", 1)[0]) + " (...)"


def mark_unavailable(*classes: type[BaseException], store: str, retry_after_s: float = 1.0) -> None:
    """Answer any of `classes` (and their subclasses) raised by a service 503 naming `store`, with
    `Retry-After: retry_after_s`. Call it at import time of the module that uses the store.
    Example: ``mark_unavailable(redis.ConnectionError, store="the cache")``."""
    if not classes or not all(isinstance(c, type) and issubclass(c, BaseException) for c in classes):
        raise TypeError(f"mark_unavailable({classes!r}, ...): give exception classes, e.g. mark_unavailable("
                        "OperationalError, store='the session store')")
    for cls in classes:
        _MARKED[cls] = (store, float(retry_after_s))


def unavailable(exc: BaseException) -> tuple[str, str, float] | None:
    """`(store, reason, retry_after_s)` if `exc` means a part is down for now, else None."""
    for cls in type(exc).__mro__:  # the most specific marking wins
        if cls in _MARKED:
            store, retry = _MARKED[cls]
            return store, _reason(exc), retry
    database = getattr(exc, _DATABASE_ATTR, None)
    for cls in type(exc).__mro__:
        known = _KNOWN.get((cls.__module__, cls.__name__))
        if known is not None:
            return (database if isinstance(database, str) and known == "the database" else known), _reason(exc), 1.0
    if getattr(exc, "connection_invalidated", False) is True:  # SQLAlchemy: the DBAPI connection broke
        return (database if isinstance(database, str) else "the database"), _reason(exc), 1.0
    return None


def name_databases() -> None:
    """From now on, each error a SQLAlchemy engine raises (connecting included) names its database
    in `unavailable`'s answer: `the SQLite database /srv/var/shop.sqlite3`. Once per process; PUMA
    calls it where it guards commits (`puma.deadlines`) and before each readiness check, so an app
    never does. Example: ``name_databases(); unavailable(err)[0]`` -> ``'the SQLite database ...'``."""
    global _named
    with _named_lock:
        if _named:
            return
        from sqlalchemy import event  # only for apps that use SQLAlchemy
        from sqlalchemy.engine import Engine

        event.listen(Engine, "handle_error", _name_database)  # the class: every engine, made before or after
        _named = True


def name_databases_if_loaded() -> None:
    """`name_databases()` once the app has imported SQLAlchemy; nothing otherwise (an app without it
    never imports it)."""
    if not _named and "sqlalchemy.engine" in sys.modules:
        name_databases()


def _name_database(context: Any) -> None:
    error, engine = context.sqlalchemy_exception, context.engine
    if error is not None and engine is not None:
        setattr(error, _DATABASE_ATTR, database_words(engine.url))


def database_words(url: Any) -> str:
    """How a 503 or a readiness reason names the database of a SQLAlchemy URL, without its user or
    password: ``database_words(make_url("postgresql://u:pw@db:5432/shop"))`` ->
    ``'the PostgreSQL database shop on db:5432'``."""
    backend = url.get_backend_name()
    name = url.database or ""
    if name.startswith("file:"):  # SQLite's URI form, file:/a%20b/x.db?mode=rw: the file's own path
        name = unquote(name.removeprefix("file:"))
    if backend == "sqlite":
        return f"the SQLite database {name}" if name not in ("", ":memory:") else "the in-memory SQLite database"
    where = f"on {url.host}{f':{url.port}' if url.port else ''}" if url.host else ""
    return " ".join(word for word in ("the", _BACKENDS.get(backend, backend), "database", name, where) if word)


def _reason(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver's error (`orig`), whose message is the short one ("database is
    # locked"); its own str() adds the SQL statement and parameters, which a client must not see.
    inner = getattr(exc, "orig", None)
    text = str(inner if isinstance(inner, BaseException) else exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return clip(first)


_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
_SQLITE_IOERR = 10  # SQLITE_IOERR (and its extended codes, in the low byte): "disk I/O error"


def storage_full(exc: BaseException) -> str | None:
    """What is full if `exc` (or an exception it was raised from) is a write that found no space
    left: `"the filesystem holding /var/app.log"`, `"the database"`, ...; else None.
    Answered 507 Insufficient Storage: retrying cannot help until someone frees space."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        for candidate in (current, inner):
            what = _full(candidate) if isinstance(candidate, BaseException) else None
            if what is not None:
                return what if candidate is not inner else (unavailable(current) or (what,))[0]
        current = current.__cause__ or current.__context__
    return None


def _full(exc: BaseException) -> str | None:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        if exc.filename:
            return f"the filesystem holding {exc.filename}"
        # A write() names no file: say which mounted filesystems have no space left now.
        full = _ours(full_filesystems())
        return "the filesystem mounted at " + " or ".join(full) if full else "the filesystem it writes to"
    store = unavailable(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code == _SQLITE_FULL or (store is not None and "database or disk is full" in str(exc)):
        return (store or ("the database",))[0]
    if (isinstance(code, int) and code & 0xFF == _SQLITE_IOERR) or (store is not None and "disk I/O error" in str(exc)):
        # In WAL mode SQLite reports a write that found no space as an I/O error: full, if a
        # filesystem is full now (an I/O error with space left stays a 503, retried).
        full = _ours(full_filesystems())
        if full:
            return f"{(store or ('the database',))[0]} (the filesystem mounted at {' or '.join(full)})"
    return None


def _ours(full: list[str]) -> list[str]:
    """Of the full mount points, those holding a file this process has open (its database, its
    logs) if any: another full filesystem on the machine is not what this write ran out of."""
    devices = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return full
    for fd in fds:
        try:
            devices.add(os.fstat(int(fd)).st_dev)
        except (OSError, ValueError):
            continue
    held = []
    for where in full:
        try:
            if os.stat(where).st_dev in devices:
                held.append(where)
        except OSError:
            continue
    return held or full


def full_filesystems(mounts: str = "/proc/self/mounts") -> list[str]:
    """Mount points (of real, sized filesystems) with no space left for this process now."""
    try:
        lines = open(mounts, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        where = fields[1].replace("\\040", " ")
        try:
            st = os.statvfs(where)
        except OSError:
            continue
        if st.f_blocks > 0 and st.f_bavail == 0 and where not in found:
            found.append(where)
    return found
