"""review: the head approves or refuses a teacher's request, with a comment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("episode") as batch:
        batch.add_column(sa.Column("review_decision", sa.String(16), nullable=True))
        batch.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("episode") as batch:
        batch.drop_column("reviewed_at")
        batch.drop_column("review_comment")
        batch.drop_column("review_decision")
