"""Database access for the chatbot: models, engines, sessions, migrations."""

from __future__ import annotations

from chatbot.db.engine import make_engine, make_session_factory
from chatbot.db.models import (
    Base,
    ChatSession,
    Credit,
    DatasetLoad,
    MlMovie,
    MlRating,
    Movie,
    MovieGenre,
    Person,
    SurveyAnswer,
    Transcript,
)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """``chatbot.db.migrate.upgrade``, imported on use: Alembic takes ~0.2 s to import, and every
    process that only reads or writes the tables imports this package."""
    from chatbot.db.migrate import upgrade as migrate

    migrate(url, revision)


__all__ = [
    "Base",
    "ChatSession",
    "Credit",
    "DatasetLoad",
    "MlMovie",
    "MlRating",
    "Movie",
    "MovieGenre",
    "Person",
    "SurveyAnswer",
    "Transcript",
    "make_engine",
    "make_session_factory",
    "upgrade",
]
