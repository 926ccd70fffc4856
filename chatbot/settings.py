"""Settings read from the environment, in one place.

``DATABASE_URL`` (the database), ``CHATBOT_SESSION_STORE`` (where conversations live: ``sql``,
the default, ``dynamodb`` or ``memory``; the PUMA port's DynamoDB is PUMA's ``dynamodb`` key:
``AWS_ENDPOINT_URL_DYNAMODB``, unset: a local moto server) and ``CHATBOT_CACHE_DIR`` (the fitted recommender of a
database that is not a SQLite file; default ``./var/cache``). Example::

    DATABASE_URL=postgresql+psycopg2://user:pw@localhost:5432/chatbot chatbot db upgrade

A leaf: it imports nothing of the chatbot's, so every module may read its settings here
(the store they choose is built by ``chatbot.stores.session_store``).
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "DATABASE_URL"
SESSION_STORE_ENV = "CHATBOT_SESSION_STORE"
CACHE_DIR_ENV = "CHATBOT_CACHE_DIR"
SESSION_STORES = ("sql", "dynamodb", "memory")


def default_database_path() -> Path:
    """The embedded SQLite file: ``<cwd>/var/chatbot.sqlite3``."""
    return Path.cwd() / "var" / "chatbot.sqlite3"


def database_url() -> str:
    """The SQLAlchemy URL of the chatbot database.

    ``DATABASE_URL`` wins; otherwise the SQLite file under ``./var/`` (created, with its
    directory, by ``chatbot db upgrade`` or the first start). Example: ``database_url()`` ->
    ``"sqlite:////srv/app/var/chatbot.sqlite3"``.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def cache_dir() -> Path:
    """``CHATBOT_CACHE_DIR``, else ``<cwd>/var/cache`` (see ``chatbot.artefacts``); not created here."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(configured) if configured else Path.cwd() / "var" / "cache"


def session_store_kind() -> str:
    """``CHATBOT_SESSION_STORE``: ``"sql"`` (default), ``"dynamodb"`` or ``"memory"``."""
    kind = os.environ.get(SESSION_STORE_ENV, "").strip().lower() or "sql"
    if kind not in SESSION_STORES:
        raise ValueError(f"{SESSION_STORE_ENV}: {kind!r} is not one of {', '.join(SESSION_STORES)}; "
                         "unset it for the SQL store (DATABASE_URL or ./var)")
    return kind


