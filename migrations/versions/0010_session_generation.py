"""accounts: sessions end on logout and password change: no schema change

Every session and remember-me cookie already names user.session_version (User.get_id); logging
out now moves it on too, as a password change, a reset and deletion did. This revision keeps
its place in the chain.

Revision ID: 0010_session_generation
Revises: 0009_checkin_nonce_scope
Create Date: 2026-12-07 02:30:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0010_session_generation"
down_revision = "0009_checkin_nonce_scope"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
