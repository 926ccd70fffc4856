"""Engines and sessions for the chatbot database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from chatbot.settings import database_url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: ``chatbot.settings.database_url()``).

    SQLite connections get foreign keys on, WAL journaling (several processes share the
    file) and a 5 s busy timeout. Example: ``make_engine("sqlite:///var/chatbot.sqlite3")``.
    """
    engine = create_engine(url or database_url(), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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
