"""session epoch: signing out ends every copy of a session cookie

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:55:00

Each staff account counts its sign-outs; the session cookie carries a mark derived from that
count (and the password hash), so a cookie copied before a sign-out or a password reset no
longer signs anyone in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_epoch")
