"""former first names: a pupil renamed is still found under the name texts already use

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:30:00

When the head corrects a pupil's first name, the former one is kept (one a line): a title typed
before the correction still names the child, so the gate looks for it too, and an erasure
removes it with the current one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pupil") as batch:
        batch.add_column(sa.Column("former_names", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("pupil") as batch:
        batch.drop_column("former_names")
