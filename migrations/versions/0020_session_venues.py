"""events: サテライト会場 — a session's venues (SessionVenue: name, address, map link, capacity,
each with its own waitlist) and the venue of each venue place. Every venue or hybrid session
becomes one venue with what the session said of its venue, and its venue places that venue's:
nothing changes for them. The session's own venue columns go: the venues are the one source.

Revision ID: 0020_session_venues
Revises: 0019_activity_record
Create Date: 2026-12-07 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_session_venues"
down_revision = "0019_activity_record"
branch_labels = None
depends_on = None

_SESSION_COLUMNS = ("venue_name", "venue_address", "map_url", "venue_capacity")


def upgrade():
    op.create_table(
        "session_venue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("map_url", sa.String(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["session.id"],
            name=op.f("fk_session_venue_session_id_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_venue")),
    )
    op.create_index(op.f("ix_session_venue_session_id"), "session_venue", ["session_id"])
    op.execute(
        "INSERT INTO session_venue (session_id, position, name, address, map_url, capacity)"
        " SELECT id, 0, venue_name, venue_address, map_url, venue_capacity FROM session"
        " WHERE format IN ('venue', 'hybrid') ORDER BY id"
    )
    # nothing points at place: on SQLite the batch copies it into a new table safely
    with op.batch_alter_table("place") as batch:
        batch.add_column(sa.Column("venue_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_place_venue_id"), ["venue_id"])
        batch.create_foreign_key(
            batch.f("fk_place_venue_id_session_venue"),
            "session_venue",
            ["venue_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE place SET venue_id = (SELECT v.id FROM session_venue v"
        " WHERE v.session_id = place.session_id) WHERE mode = 'venue'"
    )
    # A plain DROP COLUMN, never a batch copy of session: many tables point at it, and on
    # SQLite dropping the old copy would cascade to them. SQLite has DROP COLUMN since 3.35.
    for column in _SESSION_COLUMNS:
        op.drop_column("session", column)


def downgrade():
    op.add_column(
        "session", sa.Column("venue_name", sa.String(200), nullable=False, server_default="")
    )
    op.add_column(
        "session", sa.Column("venue_address", sa.String(300), nullable=False, server_default="")
    )
    op.add_column(
        "session", sa.Column("map_url", sa.String(500), nullable=False, server_default="")
    )
    op.add_column("session", sa.Column("venue_capacity", sa.Integer(), nullable=True))
    # the first venue stands for the session again (a satellite venue's places join it)
    op.execute(
        "UPDATE session SET"
        " venue_name = COALESCE((SELECT v.name FROM session_venue v"
        " WHERE v.session_id = session.id ORDER BY v.position, v.id LIMIT 1), ''),"
        " venue_address = COALESCE((SELECT v.address FROM session_venue v"
        " WHERE v.session_id = session.id ORDER BY v.position, v.id LIMIT 1), ''),"
        " map_url = COALESCE((SELECT v.map_url FROM session_venue v"
        " WHERE v.session_id = session.id ORDER BY v.position, v.id LIMIT 1), ''),"
        " venue_capacity = (SELECT v.capacity FROM session_venue v"
        " WHERE v.session_id = session.id ORDER BY v.position, v.id LIMIT 1)"
    )
    with op.batch_alter_table("place") as batch:
        batch.drop_constraint(batch.f("fk_place_venue_id_session_venue"), type_="foreignkey")
        batch.drop_index(batch.f("ix_place_venue_id"))
        batch.drop_column("venue_id")
    op.drop_index(op.f("ix_session_venue_session_id"), table_name="session_venue")
    op.drop_table("session_venue")
