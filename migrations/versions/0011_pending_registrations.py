"""registration: organiser-added registrations wait for the person's consent: the address the
organiser typed is kept on the hand-made record, never used to find an account

Revision ID: 0011_pending_registrations
Revises: 0010_session_generation
Create Date: 2026-12-07 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_pending_registrations"
down_revision = "0010_session_generation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("contact_email")
