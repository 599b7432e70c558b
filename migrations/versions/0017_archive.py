"""archive viewing (アーカイブ配信): a session's recording with its window, each tab's intervals on
the archive page, each person's merged viewing per session, and the series' option to count
archive viewing of at least N minutes as attending

Revision ID: 0017_archive
Revises: 0016_webhooks (after the surveys and webhooks migrations, merged first)
Create Date: 2026-12-07 20:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0017_archive"
down_revision = "0016_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("embed_url", sa.String(length=500), nullable=False),
        sa.Column("available_from", UTCDateTime(), nullable=True),
        sa.Column("available_until", UTCDateTime(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("venue_allowed", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", name="uq_archive_session_id"),
    )
    op.create_table(
        "archive_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tab", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("archive_interval") as batch:
        batch.create_index(
            "ix_archive_interval_person", ["session_id", "user_id", "tab"], unique=False
        )
        batch.create_index("ix_archive_interval_user_id", ["user_id"], unique=False)
    op.create_table(
        "archive_viewing",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "user_id"),
    )
    with op.batch_alter_table("archive_viewing") as batch:
        batch.create_index("ix_archive_viewing_user_id", ["user_id"], unique=False)
    # a plain ALTER TABLE (no batch copy of `series`: on SQLite, with foreign keys on, dropping
    # the old table would cascade to every session and its attendance)
    op.add_column("series", sa.Column("archive_counts_minutes", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("series", "archive_counts_minutes")  # SQLite 3.35+ drops it in place
    op.drop_table("archive_viewing")
    op.drop_table("archive_interval")
    op.drop_table("archive")
