"""programme: 委託元 viewers — a series' flag for being part of the programme, viewer grants
(to an organisation or a person) and their emailed invitations

Revision ID: 0022_programme_viewers
Revises: 0021_venue_checkin
Create Date: 2026-12-07 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0022_programme_viewers"
down_revision = "0021_venue_checkin"
branch_labels = None
depends_on = None


def upgrade():
    # a plain ALTER TABLE with a default: existing series are not part of a programme
    op.add_column(
        "series",
        sa.Column("in_programme", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "viewer_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("viewer_org_id", sa.Integer(), nullable=True),
        sa.Column("viewer_user_id", sa.Integer(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(viewer_org_id IS NULL) <> (viewer_user_id IS NULL)", name="ck_viewer_grant_one"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["viewer_org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["viewer_user_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_viewer_grant_org_id", "viewer_grant", ["org_id"])
    op.create_index("ix_viewer_grant_viewer_org_id", "viewer_grant", ["viewer_org_id"])
    op.create_index("ix_viewer_grant_viewer_user_id", "viewer_grant", ["viewer_user_id"])
    op.create_table(
        "viewer_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("for_org", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_viewer_invitation_org_id", "viewer_invitation", ["org_id"])


def downgrade():
    op.drop_index("ix_viewer_invitation_org_id", table_name="viewer_invitation")
    op.drop_table("viewer_invitation")
    op.drop_index("ix_viewer_grant_viewer_user_id", table_name="viewer_grant")
    op.drop_index("ix_viewer_grant_viewer_org_id", table_name="viewer_grant")
    op.drop_index("ix_viewer_grant_org_id", table_name="viewer_grant")
    op.drop_table("viewer_grant")
    op.drop_column("series", "in_programme")
