"""attendance figures: each final session's counts and retention (session_figures), and each
person's sessions attended per series and 年度 (person_figures), kept when attendance becomes
final; filled here from the attendance already final

Revision ID: 0013_attendance_figures
Revises: 0012_reminders
Create Date: 2026-12-07 17:00:00.000000
"""

from datetime import UTC, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_attendance_figures"
down_revision = "0012_reminders"
branch_labels = None
depends_on = None

MODES = ("venue", "online")
STATUSES = ("attended_venue", "attended_online", "partial", "absent", "excused")
COUNTS = [f"{mode}_{status}" for mode in MODES for status in STATUSES]
JST = timedelta(hours=9)  # Japan keeps no summer time


def upgrade():
    op.create_table(
        "session_figures",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("retained", sa.Integer(), nullable=True),
        sa.Column("cohort_session_id", sa.Integer(), nullable=True),
        *(sa.Column(c, sa.Integer(), server_default="0", nullable=False) for c in COUNTS),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_session_figures_series_id", "session_figures", ["series_id"])
    op.create_table(
        "person_figures",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("venue", sa.Integer(), server_default="0", nullable=False),
        sa.Column("online", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "year", "user_id"),
    )
    op.create_index("ix_person_figures_user_id", "person_figures", ["user_id"])
    _fill()


def _fiscal_year(moment) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(UTC) + JST
    return local.year if local.month >= 4 else local.year - 1


def _fill():
    """The figures of every session whose attendance is final, as the finaliser counts them
    (app/attendance/figures.py::refresh)."""
    bind = op.get_bind()
    final = bind.execute(
        sa.text(
            "SELECT s.id, s.series_id, s.starts_at FROM session s "
            "JOIN attendance_session a ON a.session_id = s.id WHERE a.final_at IS NOT NULL"
        ).columns(sa.column("id"), sa.column("series_id"), sa.column("starts_at", sa.DateTime()))
    ).all()
    if not final:
        return
    counts = {}
    for session_id, mode, status, n in bind.execute(
        sa.text(
            "SELECT a.session_id, a.mode, a.status, count(*) FROM attendance a "
            "JOIN attendance_session f ON f.session_id = a.session_id "
            "WHERE f.final_at IS NOT NULL GROUP BY a.session_id, a.mode, a.status"
        )
    ):
        counts.setdefault(session_id, {})[f"{mode}_{status}"] = n
    figures = sa.table(
        "session_figures",
        sa.column("session_id"),
        sa.column("series_id"),
        sa.column("year"),
        *(sa.column(c) for c in COUNTS),
    )
    rows = []
    for session_id, series_id, starts_at in final:
        found = counts.get(session_id, {})
        rows.append(
            {
                "session_id": session_id,
                "series_id": series_id,
                "year": _fiscal_year(starts_at),
                **{c: found.get(c, 0) for c in COUNTS},
            }
        )
    op.bulk_insert(figures, rows)

    # retention: against each series' first session that takes place, when it is final
    cohorts = bind.execute(
        sa.text(
            "SELECT s.series_id, s.id FROM session s WHERE s.status = 'scheduled' "
            "ORDER BY s.series_id, s.starts_at, s.id"
        )
    ).all()
    first = {}
    for series_id, session_id in cohorts:
        first.setdefault(series_id, session_id)
    final_ids = {session_id for session_id, _s, _t in final}
    for series_id, cohort in first.items():
        if cohort not in final_ids:
            continue
        found = dict(
            bind.execute(
                sa.text(
                    "SELECT a.session_id, count(*) FROM attendance a "
                    "JOIN session_figures f ON f.session_id = a.session_id "
                    "WHERE f.series_id = :series "
                    "AND a.status IN ('attended_venue', 'attended_online') AND a.user_id IN "
                    "(SELECT c.user_id FROM attendance c WHERE c.session_id = :cohort "
                    "AND c.status IN ('attended_venue', 'attended_online')) GROUP BY a.session_id"
                ),
                {"series": series_id, "cohort": cohort},
            ).all()
        )
        bind.execute(
            sa.text(
                "UPDATE session_figures SET retained = 0, cohort_session_id = :cohort "
                "WHERE series_id = :series"
            ),
            {"series": series_id, "cohort": cohort},
        )
        for session_id, n in found.items():
            bind.execute(
                sa.text("UPDATE session_figures SET retained = :n WHERE session_id = :id"),
                {"n": n, "id": session_id},
            )

    bind.execute(
        sa.text(
            "INSERT INTO person_figures (series_id, year, user_id, venue, online) "
            "SELECT f.series_id, f.year, a.user_id, "
            "sum(CASE WHEN a.status = 'attended_venue' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.status = 'attended_online' THEN 1 ELSE 0 END) "
            "FROM attendance a JOIN session_figures f ON f.session_id = a.session_id "
            "GROUP BY f.series_id, f.year, a.user_id"
        )
    )


def downgrade():
    op.drop_index("ix_person_figures_user_id", table_name="person_figures")
    op.drop_table("person_figures")
    op.drop_index("ix_session_figures_series_id", table_name="session_figures")
    op.drop_table("session_figures")
