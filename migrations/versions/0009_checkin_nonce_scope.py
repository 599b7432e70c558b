"""checkin: nonces unique per session, not across every organisation

A check-in's nonce (the scanner's idempotency key) was unique in the whole table and looked up
everywhere; it is now unique per session and looked up only inside the session being scanned.

Revision ID: 0009_checkin_nonce_scope
Revises: 0008_claim_codes
Create Date: 2026-12-07 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_checkin_nonce_scope"
down_revision = "0008_claim_codes"
branch_labels = None
depends_on = None


STANDING = "undone_at IS NULL AND duplicate_of_id IS NULL"


def _keep_standing_index(batch_op):
    """SQLite rebuilds the table for a dropped constraint: make sure the partial unique index
    of standing check-ins comes back as it was (with its WHERE)."""
    batch_op.drop_index(
        "uq_checkin_standing",
        postgresql_where=sa.text(STANDING),
        sqlite_where=sa.text(STANDING),
    )
    batch_op.create_index(
        "uq_checkin_standing",
        ["session_id", "registration_id"],
        unique=True,
        postgresql_where=sa.text(STANDING),
        sqlite_where=sa.text(STANDING),
    )


def upgrade():
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_constraint("uq_checkin_nonce", type_="unique")
        # the nonce leads: the same nonce at another session is looked up through it too
        batch_op.create_index("uq_checkin_session_nonce", ["nonce", "session_id"], unique=True)
        _keep_standing_index(batch_op)


def downgrade():
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index("uq_checkin_session_nonce")
        batch_op.create_unique_constraint("uq_checkin_nonce", ["nonce"])
        _keep_standing_index(batch_op)
