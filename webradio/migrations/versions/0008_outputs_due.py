"""outputs due: the schools whose public outputs must still be rewritten

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:00:00

A change marks its schools in its own transaction; the rewrite after the commit clears the mark
once it has landed. A rewrite that failed (a full disk during a withdrawal) or never ran (a
crash) leaves the mark, and the worker retries until the files say what the database says.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outputs_due",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("school_id", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_outputs_due_school_id", "outputs_due", ["school_id"])


def downgrade():
    op.drop_index("ix_outputs_due_school_id", table_name="outputs_due")
    op.drop_table("outputs_due")
