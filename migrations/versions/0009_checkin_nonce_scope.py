"""checkin: nonces unique per session (placeholder, filled by the check-in work)

Revision ID: 0009_checkin_nonce_scope
Revises: 0008_claim_codes
Create Date: 2026-12-07 02:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0009_checkin_nonce_scope"
down_revision = "0008_claim_codes"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
