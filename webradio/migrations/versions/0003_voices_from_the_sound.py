"""voices come from the sound: take origin and attestation, jingles as takes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:50:00

A jingle becomes a take (origin `jingle`) so that it carries its voices like any other sound;
an episode records the jingles rendered into its master. "No pupil voice" moves from the
episode to each take it attested. Existing uploaded jingles keep no declaration (they clear
nothing beyond the class until the head says who speaks in them); the generated chime holds
no voice by construction.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("take") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="staff"))
        batch.add_column(
            sa.Column("voice_free", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    # Takes uploaded through a class studio hold pupils' voices by definition.
    bind.execute(sa.text("UPDATE take SET origin = 'studio' WHERE class_id IS NOT NULL"))
    # What episodes attested voice-free, each of their takes now attests.
    bind.execute(
        sa.text(
            "UPDATE take SET voice_free = :yes WHERE origin = 'staff' AND id IN ("
            " SELECT p.take_id FROM episode_part p JOIN episode e ON e.id = p.episode_id"
            " WHERE e.no_pupil_voices = :yes)"
        ).bindparams(yes=True)
    )
    with op.batch_alter_table("episode") as batch:
        batch.add_column(sa.Column("intro_jingle_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("outro_jingle_id", sa.String(16), nullable=True))
        batch.create_foreign_key("fk_episode_intro_jingle", "take", ["intro_jingle_id"], ["id"])
        batch.create_foreign_key("fk_episode_outro_jingle", "take", ["outro_jingle_id"], ["id"])
        batch.drop_column("no_pupil_voices")
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("intro_jingle_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("outro_jingle_id", sa.String(16), nullable=True))
    rows = bind.execute(
        sa.text("SELECT id, intro_jingle_key, outro_jingle_key FROM school")
    ).fetchall()
    for school_id, intro, outro in rows:
        for which, key in (("intro", intro), ("outro", outro)):
            if not key:
                continue
            take_id = uuid.uuid4().hex[:12]
            bind.execute(
                sa.text(
                    "INSERT INTO take (id, school_id, label, origin, voice_free, sha256,"
                    " storage_key, size_bytes, state, created_at)"
                    " VALUES (:id, :school, :label, 'jingle', :free, '', :key, 0, 'ready', :now)"
                ),
                dict(
                    id=take_id, school=school_id, label=which, key=key,
                    free=key.endswith("-defaut.wav"), now=datetime.utcnow(),
                ),
            )
            bind.execute(
                sa.text(f"UPDATE school SET {which}_jingle_id = :take WHERE id = :school"),
                dict(take=take_id, school=school_id),
            )
    with op.batch_alter_table("school") as batch:
        batch.create_foreign_key("fk_school_intro_jingle", "take", ["intro_jingle_id"], ["id"])
        batch.create_foreign_key("fk_school_outro_jingle", "take", ["outro_jingle_id"], ["id"])
        batch.drop_column("intro_jingle_key")
        batch.drop_column("outro_jingle_key")


def downgrade():
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("intro_jingle_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("outro_jingle_key", sa.String(200), nullable=True))
        batch.drop_constraint("fk_school_intro_jingle", type_="foreignkey")
        batch.drop_constraint("fk_school_outro_jingle", type_="foreignkey")
        batch.drop_column("intro_jingle_id")
        batch.drop_column("outro_jingle_id")
    with op.batch_alter_table("episode") as batch:
        batch.add_column(
            sa.Column("no_pupil_voices", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_constraint("fk_episode_intro_jingle", type_="foreignkey")
        batch.drop_constraint("fk_episode_outro_jingle", type_="foreignkey")
        batch.drop_column("intro_jingle_id")
        batch.drop_column("outro_jingle_id")
    with op.batch_alter_table("take") as batch:
        batch.drop_column("voice_free")
        batch.drop_column("origin")
