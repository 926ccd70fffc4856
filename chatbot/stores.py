"""The one factory of session stores: the kind ``CHATBOT_SESSION_STORE`` names (see
``chatbot.settings``), built on the settings' database or DynamoDB.

Here rather than in ``chatbot.settings`` so the settings stay a leaf: the stores import the
database engine, which reads the settings.
"""

from __future__ import annotations

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
