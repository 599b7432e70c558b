"""API: token scopes and expiry (tokens already made become `organiser`, never expiring), a row
version on the rows the API updates with If-Match (survey, attendance), and the answers kept
for requests sent with an Idempotency-Key.

Revision ID: 0023_token_scopes
Revises: 0022_programme_viewers
Create Date: 2026-12-07 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0023_token_scopes"
down_revision = "0022_programme_viewers"
branch_labels = None
depends_on = None


def upgrade():
    # plain ALTER TABLEs (no batch copy of tables other rows point at); the server defaults
    # fill the rows already there
    op.add_column(
        "api_token",
        sa.Column("scope", sa.String(length=20), server_default="organiser", nullable=False),
    )
    op.add_column("api_token", sa.Column("expires_at", UTCDateTime(), nullable=True))
    op.add_column("survey", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "attendance", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    op.create_index("ix_idempotency_key_expires_at", "idempotency_key", ["expires_at"])


def downgrade():
    op.drop_index("ix_idempotency_key_expires_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_column("attendance", "version")
    op.drop_column("survey", "version")
    op.drop_column("api_token", "expires_at")
    op.drop_column("api_token", "scope")
