"""accounts and archives: one-time password links, disabled accounts, archived classes and pupils

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:30:00

A head or the city admin invites an account or resets its password with a one-time link (only
its SHA-256 is stored); an account can be disabled (it cannot sign in, its sessions end). A class
or a pupil of a past school year is archived: hidden from lists and pickers, never erased.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("school_class") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("pupil") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    op.create_table(
        "password_link",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(16), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(16), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_password_link_token_hash"),
    )
    op.create_index("ix_password_link_user_id", "password_link", ["user_id"])


def downgrade():
    op.drop_index("ix_password_link_user_id", table_name="password_link")
    op.drop_table("password_link")
    with op.batch_alter_table("pupil") as batch:
        batch.drop_column("archived_at")
    with op.batch_alter_table("school_class") as batch:
        batch.drop_column("archived_at")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("disabled_at")
