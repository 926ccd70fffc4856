"""Critics' figures of the source: Rotten Tomatoes mean rating and review count, Metacritic.

``critics_meter`` (share of positive reviews) was there from the start; the loader now also
keeps the critics' mean rating (0-10), how many reviews there were, and the Metacritic score,
so "is it any good?" can be answered from what the source holds. ``chatbot db load`` after
this migration re-reads the data (the loader's version changed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("critics_rating", sa.Float),
    ("critics_reviews", sa.Integer),
    ("metascore", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("movies") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("movies") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
