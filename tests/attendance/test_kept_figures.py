"""The figures kept when attendance becomes final (app/attendance/figures.py) give the same
numbers as counting the records: after finalising, after corrections to a final session (in
the series' first session too), after a rebuild, and after a final session was cancelled or
moved to another 年度; and the pages read them in a constant number of queries."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.accounts.models import User
from app.attendance import dashboards, reports
from app.attendance import services as attendance
from app.attendance.models import PersonFigures, SessionAttendance, SessionFigures
from app.attendance.series_dashboard import series_dashboard
from app.core.types import utcnow
from app.events.models import Series, Session, SessionStatus
from app.extensions import db
from tests.attendance.figures import QueryCounter, attend, series_at
from tests.attendance.helpers import records, stay
from tests.conftest import create_user

DAY = timedelta(days=1)


def everything(series_id: int) -> dict:
    """Every figure the dashboard, the session page and the 年度 report show."""
    db.session.expire_all()
    series = db.session.get(Series, series_id)
    found = {"dashboard": series_dashboard(series)}
    for session in series.sessions:
        found[session.id] = (
            dashboards.session_summary(session.id),
            [dashboards.count_records(session.id, status=s) for s in (None, *dashboards.STATUSES)],
        )
    org = series.org_id
    for year in sorted({reports.fiscal_year_of(s.starts_at) for s in series.sessions}):
        sessions = reports.year_sessions(org, year)
        found[year] = (
            reports.org_report(org, year, sessions),
            reports.participant_lines(org, year, sessions),
            reports.participant_count(sessions),
        )
    return found


def kept_and_counted(series_id: int) -> tuple[dict, dict]:
    """The figures as the pages read them (kept figures for final sessions), then with the
    kept figures taken away (every record counted), which is rolled back."""
    kept = everything(series_id)
    assert db.session.scalar(select(SessionFigures.session_id).limit(1)) is not None
    db.session.execute(delete(PersonFigures))
    db.session.execute(delete(SessionFigures))
    counted = everything(series_id)
    db.session.rollback()
    return kept, counted


def agree(series_id: int) -> dict:
    kept, counted = kept_and_counted(series_id)
    assert kept == counted
    return kept


def test_figures_kept_when_a_session_becomes_final_agree_with_its_records(app, past):
    series_id, session_id, people = past
    with app.app_context():
        session = db.session.get(Session, session_id)
        attendance.finalize(session)
        db.session.commit()
        kept = db.session.get(SessionFigures, session_id)
        assert (kept.venue_attended_venue, kept.online_attended_online) == (1, 1)
        assert (kept.online_partial, kept.venue_absent, kept.venue_excused) == (1, 1, 1)
        assert kept.retained == 2 and kept.cohort_session_id == session_id
        found = agree(series_id)
        assert found["dashboard"].participants == 2

        # a rebuild with late evidence changes the records and the figures together
        stay(session, db.session.get(User, people["absent"]), 0, 100, sid="late")
        attendance.recompute([db.session.get(Session, session_id)])
        db.session.commit()
        found = agree(series_id)
        assert found["dashboard"].participants == 3
        assert found[session_id][0].counts["attended_online"] == 2


@pytest.fixture
def held(app, world):
    """Series S of three final sessions (30, 20, 10 days ago) and one under way (its records
    counted as it goes, not final), attend 2 to complete; people A-E."""
    with app.app_context():
        now = utcnow()
        s = series_at(
            world["org"],
            [now - 30 * DAY, now - 20 * DAY, now - 10 * DAY, now - DAY],
            title="しまね関係人口ゼミ",
            completion_min_sessions=2,
        )
        under_way = s.sessions[3]
        db.session.execute(delete(SessionFigures).where(SessionFigures.session_id == under_way.id))
        db.session.get(SessionAttendance, under_way.id).final_at = None
        db.session.commit()
        people = {}
        for name, outcomes in {
            "a": ["venue", "venue", "online", "online"],
            "b": ["online", "absent_online", "online", "absent"],
            "c": ["venue", "partial", None, "venue"],
            "d": ["absent", "venue", "venue", None],
            "e": ["excused", "absent", "absent", "partial"],
        }.items():
            person = create_user(f"{name}@example.jp", prefecture="32")
            attend(s, person, outcomes)
            people[name] = person.id
        organizer = world["organizer"]
        return {
            "series": s.id,
            "sessions": [x.id for x in s.sessions],
            "organizer": organizer,
            **people,
        }


def _correct(session_id: int, user_id: int, status: str | None, organizer_id: int) -> None:
    record = records(session_id)[user_id]
    actor = db.session.get(User, organizer_id)
    attendance.override(record, status, "名簿で確認", actor)
    db.session.commit()


def test_corrections_to_final_sessions_keep_the_figures_true(app, held):
    first, second, third, under_way = held["sessions"]
    org = held["organizer"]
    with app.app_context():
        before = agree(held["series"])
        assert before["dashboard"].cohort == 3  # A, B, C
        # in the first session (the cohort): A no longer came, D did
        _correct(first, held["a"], "absent", org)
        _correct(first, held["d"], "attended_online", org)
        found = agree(held["series"])
        assert found["dashboard"].cohort == 3  # B, C, D
        assert [f.retained for f in found["dashboard"].sessions] == [3, 1, 2, 1]
        # in a later one, and one that changes nothing the figures count
        _correct(second, held["b"], "attended_venue", org)
        _correct(third, held["e"], "partial", org)
        _correct(under_way, held["b"], "attended_venue", org)
        found = agree(held["series"])
        assert found["dashboard"].completions == 4
        # taken back: the records' own status again
        _correct(first, held["a"], None, org)
        agree(held["series"])


def test_a_final_session_cancelled_or_moved_to_another_year_counts_as_its_records(app, held):
    first, second, third, _under_way = held["sessions"]
    with app.app_context():
        db.session.get(Session, second).status = SessionStatus.cancelled
        db.session.get(Session, third).starts_at -= timedelta(days=400)  # an earlier 年度
        db.session.get(Session, third).ends_at -= timedelta(days=400)
        db.session.commit()
        agree(held["series"])
        # the first session cancelled: retention counts against the next one
        db.session.get(Session, first).status = SessionStatus.cancelled
        db.session.commit()
        agree(held["series"])
        # rebuilt: the figures are counted where the session now is
        attendance.recompute([db.session.get(Session, third)])
        db.session.commit()
        year = reports.fiscal_year_of(db.session.get(Session, third).starts_at)
        assert db.session.get(SessionFigures, third).year == year
        agree(held["series"])


def _crowd(org_id: int, n: int) -> int:
    """Two final sessions and one under way (not final), n people."""
    now = utcnow()
    series = series_at(org_id, [now - 9 * DAY, now - 6 * DAY, now - DAY], title=f"{n}人")
    under_way = series.sessions[2]
    db.session.execute(delete(SessionFigures).where(SessionFigures.session_id == under_way.id))
    db.session.get(SessionAttendance, under_way.id).final_at = None
    db.session.commit()
    for i in range(n):
        person = create_user(prefecture=f"{i % 47 + 1:02d}")
        attend(series, person, [("venue", "online", "partial")[i % 3], "online", "venue"])
    return series.id


def test_final_and_live_sessions_together_cost_a_constant_number_of_queries(app, world):
    counts = []
    with app.app_context():
        for n in (5, 50):
            series_id = _crowd(world["org"], n)
            db.session.expire_all()
            series = db.session.get(Series, series_id)
            year = reports.fiscal_year_of(series.sessions[0].starts_at)
            sessions = reports.year_sessions(world["org"], year)
            with QueryCounter(db.engine) as queries:
                board = series_dashboard(series)
                report = reports.org_report(world["org"], year, sessions)
                people = reports.participant_lines(world["org"], year, sessions)
                reports.participant_count(sessions)
            assert board.participants == n and len(people) >= n
            assert report.kpis.participants >= n
            counts.append(queries.count)
    assert counts[0] == counts[1], counts


def _kept_rows() -> tuple[list, list]:
    db.session.expire_all()
    sessions = [tuple(r) for r in db.session.execute(select(SessionFigures.__table__))]
    people = [tuple(r) for r in db.session.execute(select(PersonFigures.__table__))]
    return sorted(sessions), sorted(people)


def test_the_migration_counts_the_figures_of_attendance_already_final(app, held):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        counted = _kept_rows()
        assert counted[0] and counted[1]
        db.session.remove()
        try:
            downgrade(revision="0012_reminders")
        finally:
            upgrade()  # 0013 again: it fills the tables from the final attendance
        assert _kept_rows() == counted
        agree(held["series"])
