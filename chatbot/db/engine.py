"""Engines and sessions for the chatbot database."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from chatbot.settings import database_url


def make_engine(url: str | None = None, *, create: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: ``chatbot.settings.database_url()``).

    SQLite connections get foreign keys on, WAL journaling (several processes share the
    file) and a 5 s busy timeout. A SQLite file that does not exist is created only with
    ``create=True`` (migrations do that); otherwise connecting fails with "unable to open
    database file" instead of leaving an empty database behind. Example:
    ``make_engine("sqlite:///var/chatbot.sqlite3")``.
    """
    parsed = make_url(url or database_url())
    path = sqlite_file(parsed)
    if path is not None and not create:
        parsed = _must_exist(parsed, path)
    if path is None and parsed.get_backend_name() != "sqlite":
        # A server's connections die when it restarts: test each one as it leaves the pool, so
        # the first turn after a restart is served instead of failing on a dead connection.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (absolute); None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).resolve()


def _must_exist(url: URL, path: Path) -> URL:
    # SQLite's URI form: mode=rw opens an existing file for reading and writing, never creates one.
    return url.set(database=f"file:{quote(str(path), safe='/')}",
                   query={**url.query, "mode": "rw", "uri": "true"})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL stays consistent after a crash of any process (only a power loss can
        # drop the last commits) and spares an fsync per commit: several agent processes share
        # this file's single write lock, so each commit's length is everyone's wait.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
