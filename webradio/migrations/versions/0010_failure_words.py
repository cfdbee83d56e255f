"""failure words: a take's or an episode's failure keeps its message and fields

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:20:00

The reason was kept as French text only: a reason with fields (a take longer than the limit,
a master short of its target) showed in French on the English pages, and a refused file was
offered a useless « Relancer le traitement ». `failure_json` keeps the message, its fields and
the refusal's code beside the text.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("take", "episode"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("failure_json", sa.Text(), nullable=True))


def downgrade():
    for table in ("take", "episode"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("failure_json")
