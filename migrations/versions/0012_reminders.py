"""reminders: the day before and the hour before a session, each recorded once per person,
session and start time; switched off per series; the organisation's day-before time

Revision ID: 0012_reminders
Revises: 0011_pending_registrations
Create Date: 2026-12-07 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0012_reminders"
down_revision = "0011_pending_registrations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "day_before", "hour_before", name="reminder_kind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_starts_at", UTCDateTime(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("venue", "online", name="place_mode", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "session_id", "kind", "user_id", "session_starts_at", name="uq_reminder_once"
        ),
    )
    with op.batch_alter_table("reminder") as batch:
        batch.create_index("ix_reminder_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("reminders_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("organization") as batch:
        batch.add_column(
            sa.Column(
                "day_before_reminder_minute", sa.Integer(), nullable=False, server_default="1080"
            )
        )


def downgrade():
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("day_before_reminder_minute")
    with op.batch_alter_table("series") as batch:
        batch.drop_column("reminders_enabled")
    with op.batch_alter_table("reminder") as batch:
        batch.drop_index("ix_reminder_user_id")
    op.drop_table("reminder")
