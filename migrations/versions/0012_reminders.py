"""reminders: the day before and the hour before a session (placeholder, filled by the reminder work)

Revision ID: 0012_reminders
Revises: 0011_pending_registrations
Create Date: 2026-12-07 03:00:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0012_reminders"
down_revision = "0011_pending_registrations"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
