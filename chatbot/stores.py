"""The one factory of session stores: the kind ``CHATBOT_SESSION_STORE`` names (see
``chatbot.settings``), built on the settings' database or DynamoDB.

Here rather than in ``chatbot.settings`` so the settings stay a leaf: the stores import the
database engine, which reads the settings.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from chatbot.settings import session_store_kind

if TYPE_CHECKING:  # the stores (and SQLAlchemy or boto3) are imported for the kind chosen only
    from chatbot.sessions import SessionStore


def session_store() -> SessionStore:
    """A new store of the kind ``CHATBOT_SESSION_STORE`` names.

    ``sql``: ``SqlSessionStore`` on ``database_url()`` (SQLite or PostgreSQL); ``dynamodb``:
    ``DynamoSessionStore`` via ``puma.dynamodb()`` (needs PUMA's ``dynamodb`` key in the
    deployment); ``memory``: one process only. Example: ``Chatbot(store=session_store())``.
    """
    kind = session_store_kind()
    if kind == "dynamodb":
        from chatbot.dynamo_store import DynamoSessionStore

        return DynamoSessionStore()
    if kind == "memory":
        from chatbot.sessions import MemorySessionStore

        return MemorySessionStore()
    from chatbot.sessions import SqlSessionStore

    return SqlSessionStore()


_probed: list[SessionStore] = []
_probed_lock = threading.Lock()


def ready() -> None:
    """The readiness check of the services that use the session store (``readiness`` in
    ``chatbot/puma_app.py``): raises while the store cannot be read (its database moved, down,
    unreachable), so PUMA routes around the instance and answers 503 naming why, without
    restarting it. One store per process, built on first use."""
    with _probed_lock:
        if not _probed:
            _probed.append(session_store())
    _probed[0].ping()
