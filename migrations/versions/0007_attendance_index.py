"""attendance: a covering index for the per-session counts

Revision ID: 0007_attendance_index
Revises: 0006_mail
Create Date: 2026-11-27 09:00:00.000000

The dashboards count a session's records by status and mode (and the series dashboard by
person): with user_id and mode in the index, those counts read the index only.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_attendance_index"
down_revision = "0006_mail"
branch_labels = None
depends_on = None


def upgrade():
    # plain index operations: no table rebuild on SQLite, the same statements on PostgreSQL
    op.create_index(
        "ix_attendance_session_status_user",
        "attendance",
        ["session_id", "status", "user_id", "mode"],
        unique=False,
    )
    op.drop_index("ix_attendance_session_status", table_name="attendance")


def downgrade():
    op.create_index(
        "ix_attendance_session_status", "attendance", ["session_id", "status"], unique=False
    )
    op.drop_index("ix_attendance_session_status_user", table_name="attendance")
