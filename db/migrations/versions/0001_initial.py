"""Initial schema: catalogue, MovieLens ratings, chat sessions, transcripts, survey answers.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_catalogue()
    _create_movielens()
    _create_conversations()


def downgrade() -> None:
    for table in (
        "survey_answers", "transcripts", "chat_sessions", "dataset_loads",
        "ml_ratings", "ml_movies", "credits", "people", "movie_genres", "movies",
    ):
        op.drop_table(table)


def _create_catalogue() -> None:
    op.create_table(
        "movies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("imdb_id", sa.String(16), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_key", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("mpaa", sa.String(8), nullable=True),
        sa.Column("runtime_min", sa.Integer, nullable=True),
        sa.Column("critics_meter", sa.Integer, nullable=True),
        sa.Column("rating", sa.Float, nullable=True),
        sa.Column("votes", sa.Integer, nullable=False, server_default="0"),
        # JSON lists of names in display order: copies of movie_genres / credits for fast reads
        sa.Column("genres", sa.JSON, nullable=False),
        sa.Column("directors", sa.JSON, nullable=False),
        sa.Column("writers", sa.JSON, nullable=False),
        sa.Column("cast", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_movies"),
        sa.UniqueConstraint("imdb_id", name="uq_movies_imdb_id"),
    )
    op.create_index("ix_movies_title_key", "movies", ["title_key"])
    op.create_index("ix_movies_year", "movies", ["year"])

    op.create_table(
        "movie_genres",
        sa.Column("movie_id", sa.Integer, nullable=False),
        sa.Column("genre", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("movie_id", "genre", name="pk_movie_genres"),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], ondelete="CASCADE",
            name="fk_movie_genres_movie_id_movies",
        ),
    )
    op.create_index("ix_movie_genres_genre", "movie_genres", ["genre"])

    op.create_table(
        "people",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("name", name="uq_people_name"),
    )

    op.create_table(
        "credits",
        sa.Column("movie_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("movie_id", "role", "position", name="pk_credits"),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], ondelete="CASCADE", name="fk_credits_movie_id_movies"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], ondelete="CASCADE", name="fk_credits_person_id_people"
        ),
        sa.CheckConstraint("role IN ('actor', 'director', 'writer')", name="ck_credits_role"),
    )
    op.create_index("ix_credits_person_role", "credits", ["person_id", "role"])


def _create_movielens() -> None:
    op.create_table(
        "ml_movies",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("movie_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ml_movies"),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], ondelete="SET NULL", name="fk_ml_movies_movie_id_movies"
        ),
    )
    op.create_index("ix_ml_movies_movie_id", "ml_movies", ["movie_id"])

    op.create_table(
        "ml_ratings",
        sa.Column("user_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("ml_movie_id", sa.Integer, nullable=False),
        sa.Column("rating", sa.Float, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "ml_movie_id", name="pk_ml_ratings"),
        sa.ForeignKeyConstraint(
            ["ml_movie_id"], ["ml_movies.id"], ondelete="CASCADE",
            name="fk_ml_ratings_ml_movie_id_ml_movies",
        ),
    )
    op.create_index("ix_ml_ratings_ml_movie_id", "ml_ratings", ["ml_movie_id"])

    op.create_table(
        "dataset_loads",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("loaded_at", TZ_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_dataset_loads"),
    )


def _create_conversations() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TZ_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_chat_sessions"),
    )
    op.create_index("ix_chat_sessions_updated_at", "chat_sessions", ["updated_at"])

    op.create_table(
        "transcripts",
        sa.Column("userid", sa.Text, nullable=False),
        sa.Column("timestamp", TZ_DATETIME, nullable=True),
        sa.Column("history", sa.Text, nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("userid", name="pk_transcripts"),
    )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("userid", sa.Text, nullable=False),
        sa.Column("liked", sa.Integer, nullable=True),
        sa.Column("engagement", sa.Integer, nullable=True),
        sa.Column("chatbot_before", sa.Boolean, nullable=True),
        sa.Column("comments", sa.Text, nullable=True),
        sa.Column("created_at", TZ_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_survey_answers"),
        sa.CheckConstraint("liked BETWEEN 1 AND 5", name="ck_survey_answers_liked_range"),
        sa.CheckConstraint(
            "engagement BETWEEN 1 AND 5", name="ck_survey_answers_engagement_range"
        ),
    )
    op.create_index("ix_survey_answers_userid", "survey_answers", ["userid"])
