"""One survey per conversation: the latest answers replace earlier ones.

A page that re-sends its survey (a lost reply, a double click) or a user who changes their
answers leaves one row per conversation. Duplicates already stored are reduced to each
conversation's latest row; a unique constraint on ``userid`` then keeps it so, also against two
writers racing (the store updates the row the other one inserted).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM survey_answers WHERE id NOT IN "
               "(SELECT latest FROM (SELECT MAX(id) AS latest FROM survey_answers GROUP BY userid) AS kept)")
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_index("ix_survey_answers_userid")
        batch.create_unique_constraint("uq_survey_answers_userid", ["userid"])


def downgrade() -> None:
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_constraint("uq_survey_answers_userid", type_="unique")
        batch.create_index("ix_survey_answers_userid", ["userid"])
