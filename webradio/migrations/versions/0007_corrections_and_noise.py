"""corrections and noise: a teacher's correction waits for the head; noise reduction per school

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:00:00

A teacher's correction of the words of an episode published beyond the class is kept aside
(the proposed words, who, when) until the head approves or refuses it, with a comment. A school
may reduce background noise in every render; an episode may say otherwise (NULL: the school's).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch:
        batch.add_column(
            sa.Column("noise_reduction", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("episode") as batch:
        batch.add_column(sa.Column("noise_reduction", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("pending_edit_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pending_edit_by", sa.String(16), nullable=True))
        batch.add_column(sa.Column("pending_edit_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("edit_review_decision", sa.String(16), nullable=True))
        batch.add_column(sa.Column("edit_review_comment", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_episode_pending_edit_by_user_account",
            "user_account",
            ["pending_edit_by"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("episode") as batch:
        batch.drop_constraint("fk_episode_pending_edit_by_user_account", type_="foreignkey")
        batch.drop_column("edit_review_comment")
        batch.drop_column("edit_review_decision")
        batch.drop_column("pending_edit_at")
        batch.drop_column("pending_edit_by")
        batch.drop_column("pending_edit_json")
        batch.drop_column("noise_reduction")
    with op.batch_alter_table("school") as batch:
        batch.drop_column("noise_reduction")
