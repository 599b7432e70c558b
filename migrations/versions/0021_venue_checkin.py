"""checkin: サテライト会場 at the door — each check-in records the venue it was made at, and
whether staff let in a ticket for another venue of the session there (「この会場で受付」, the
override, logged). Existing check-ins were made at their session's only venue.

Revision ID: 0021_venue_checkin
Revises: 0020_session_venues
Create Date: 2026-12-08 00:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_venue_checkin"
down_revision = "0020_session_venues"
branch_labels = None
depends_on = None

_FK = "fk_checkin_venue_id_session_venue"


def upgrade():
    # A plain ALTER TABLE, never a batch copy of `checkin` (its rows point at each other, and
    # on SQLite with foreign keys on, dropping the old copy would set them to NULL). SQLite
    # takes a column with an inline REFERENCES when its default is NULL. No ON DELETE: a venue
    # people were checked in at is kept (checkin.receivers), and goes only with its session.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE checkin ADD COLUMN venue_id INTEGER"
            f" CONSTRAINT {_FK} REFERENCES session_venue (id)"
        )
    else:
        op.add_column("checkin", sa.Column("venue_id", sa.Integer(), nullable=True))
        op.create_foreign_key(_FK, "checkin", "session_venue", ["venue_id"], ["id"])
    op.create_index(op.f("ix_checkin_venue_id"), "checkin", ["venue_id"])
    op.add_column(
        "checkin",
        sa.Column("venue_override", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # every check-in so far was made at its session's venue: 0020 gave each session one
    op.execute(
        "UPDATE checkin SET venue_id = (SELECT MIN(v.id) FROM session_venue v"
        " WHERE v.session_id = checkin.session_id)"
    )


def downgrade():
    op.drop_column("checkin", "venue_override")
    op.drop_index(op.f("ix_checkin_venue_id"), table_name="checkin")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(_FK, "checkin", type_="foreignkey")
    op.drop_column("checkin", "venue_id")
