"""records: 関わり証明 — a person's choice of organisations for a 年度's record of activities,
and its verification links (the activities themselves are recomputed from attendance); the
optional consent at registration to be listed by the organisation, and the organisation's N

Revision ID: 0019_activity_record
Revises: 0018_survey_to_archive
Create Date: 2026-12-07 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0019_activity_record"
down_revision = "0018_survey_to_archive"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "activity_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "year"),
    )
    op.create_table(
        "activity_record_org",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["activity_record.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id", "org_id"),
    )
    op.create_table(
        "activity_record_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["activity_record.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_activity_record_link_record_id", "activity_record_link", ["record_id"])
    op.create_table(
        "activity_record_setting",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("min_activities", sa.Integer(), server_default="3", nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id"),
    )
    # a plain ALTER TABLE (registration's rows are pointed at); nobody agreed before
    op.add_column("registration", sa.Column("record_consent_at", UTCDateTime(), nullable=True))


def downgrade():
    op.drop_column("registration", "record_consent_at")
    op.drop_table("activity_record_setting")
    op.drop_index("ix_activity_record_link_record_id", table_name="activity_record_link")
    op.drop_table("activity_record_link")
    op.drop_table("activity_record_org")
    op.drop_table("activity_record")
