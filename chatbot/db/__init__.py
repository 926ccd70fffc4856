"""Database access for the chatbot: models, engines, sessions, migrations."""

from __future__ import annotations

from chatbot.db.engine import make_engine, make_session_factory
from chatbot.db.migrate import upgrade
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
