"""accounts: claim codes, for people added by hand to take over into their own account

Revision ID: 0008_claim_codes
Revises: 0007_attendance_index
Create Date: 2026-11-27 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0008_claim_codes"
down_revision = "0007_attendance_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("claim_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claim_code_expires_at", UTCDateTime(), nullable=True))
        batch.create_unique_constraint("uq_user_claim_code_hash", ["claim_code_hash"])


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_claim_code_hash", type_="unique")
        batch.drop_column("claim_code_expires_at")
        batch.drop_column("claim_code_hash")
