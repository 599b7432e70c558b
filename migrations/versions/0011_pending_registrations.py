"""registration: organiser-added registrations wait for the person's consent (placeholder)

Revision ID: 0011_pending_registrations
Revises: 0010_session_generation
Create Date: 2026-12-07 02:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0011_pending_registrations"
down_revision = "0010_session_generation"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
