"""SQLAlchemy 2 models of the chatbot database (catalogue, MovieLens ratings, sessions).

Portable types only, so the same schema runs on SQLite and PostgreSQL. The Alembic migrations
under ``db/migrations/versions/`` create exactly these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chatbot.text import storable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("actor", "director", "writer")


class StoredText(TypeDecorator[str]):
    """``Text`` whose every written value passes the store boundary's rule (``storable``: no lone
    surrogate, no NUL), so any text a client sent can be stored in SQLite and PostgreSQL alike."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return storable(value) if isinstance(value, str) else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Movie(Base):
    """One film of the catalogue; ``rating``/``votes`` summarise its MovieLens ratings."""

    __tablename__ = "movies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    imdb_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_key: Mapped[str] = mapped_column(String(300), index=True)  # normalise_title(title)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    mpaa: Mapped[str | None] = mapped_column(String(8))
    runtime_min: Mapped[int | None] = mapped_column(Integer)
    # Rotten Tomatoes figures of the source: % of reviews positive, their mean (0-10), how
    # many; and the Metacritic score (0-100). None where the source has none.
    critics_meter: Mapped[int | None] = mapped_column(Integer)
    critics_rating: Mapped[float | None] = mapped_column(Float)
    critics_reviews: Mapped[int | None] = mapped_column(Integer)
    metascore: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[float | None] = mapped_column(Float)
    votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Denormalised copies of movie_genres / credits (JSON lists of names, display order) so
    # the catalogue loads with one query; the child tables serve queries by person or genre.
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    directors: Mapped[list[str]] = mapped_column(JSON, default=list)
    writers: Mapped[list[str]] = mapped_column(JSON, default=list)
    cast: Mapped[list[str]] = mapped_column(JSON, default=list)


class MovieGenre(Base):
    """A canonical lowercase genre of a film (``"sci-fi"``, ``"comedy"``)."""

    __tablename__ = "movie_genres"

    movie_id: Mapped[int] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True)
    genre: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Credit(Base):
    """A person's role in a film; ``position`` is the display order within the role.

    The source lists cast alphabetically (no billing order), so the loader orders actors by
    prominence, most first (``chatbot.loader.cast_prominence``: each actor's shrunk mean
    share of their films' MovieLens attention, larger in short cast lists).
    """

    __tablename__ = "credits"
    __table_args__ = (
        CheckConstraint("role IN ('actor', 'director', 'writer')", name="role"),
        Index("ix_credits_person_role", "person_id", "role"),
    )

    movie_id: Mapped[int] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))


class MlMovie(Base):
    """A MovieLens film and the catalogue film it was joined to (None when unmatched)."""

    __tablename__ = "ml_movies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(300))
    year: Mapped[int | None] = mapped_column(Integer)
    movie_id: Mapped[int | None] = mapped_column(
        ForeignKey("movies.id", ondelete="SET NULL"), index=True
    )


class MlRating(Base):
    """One MovieLens rating (0.5-5 stars); ``timestamp`` is Unix seconds as published."""

    __tablename__ = "ml_ratings"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ml_movie_id: Mapped[int] = mapped_column(
        ForeignKey("ml_movies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rating: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class DatasetLoad(Base):
    """What ``chatbot db load`` loaded, so a second run can see it and do nothing."""

    __tablename__ = "dataset_loads"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatSession(Base):
    """Conversation state (JSON) shared by processes; ``version`` allows optimistic locking."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(StoredText, primary_key=True)
    state: Mapped[str] = mapped_column(StoredText)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class Transcript(Base):
    """``history`` is a JSON list of ``{"c": [bot messages], "u": [user messages]}``."""

    __tablename__ = "transcripts"

    userid: Mapped[str] = mapped_column(StoredText, primary_key=True)
    timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    history: Mapped[str] = mapped_column(StoredText, default="[]", server_default="[]")


class SurveyAnswer(Base):
    """One conversation's end-of-chat survey (one row per ``userid``: the latest answers)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("liked BETWEEN 1 AND 5", name="liked_range"),
        CheckConstraint("engagement BETWEEN 1 AND 5", name="engagement_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    userid: Mapped[str] = mapped_column(StoredText, unique=True)
    liked: Mapped[int | None] = mapped_column(Integer)
    engagement: Mapped[int | None] = mapped_column(Integer)
    chatbot_before: Mapped[bool | None] = mapped_column(Boolean)
    comments: Mapped[str | None] = mapped_column(StoredText)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
