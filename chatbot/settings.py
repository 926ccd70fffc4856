"""Settings read from the environment, in one place.

Only ``DATABASE_URL`` is read today. Example::

    DATABASE_URL=postgresql+psycopg2://user:pw@localhost:5432/chatbot chatbot db upgrade
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "DATABASE_URL"


def default_database_path() -> Path:
    """The embedded SQLite file: ``<cwd>/var/chatbot.sqlite3``."""
    return Path.cwd() / "var" / "chatbot.sqlite3"


def database_url() -> str:
    """The SQLAlchemy URL of the chatbot database.

    ``DATABASE_URL`` wins; otherwise the SQLite file under ``./var/`` (the directory is
    created). Example: ``database_url()`` -> ``"sqlite:////srv/app/var/chatbot.sqlite3"``.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    path = default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
