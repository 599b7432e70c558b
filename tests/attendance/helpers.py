"""Shared data for the attendance tests: a finished session with one person of each outcome,
and helpers to move sessions in time and put people in the live room."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attendance.jobs import keep_current
from app.attendance.models import Attendance
from app.checkin import services as checkin
from app.core.types import utcnow
from app.extensions import db
from app.live.models import Connection
from app.registration import services as registration
from tests.conftest import create_user
from tests.registration.factories import make_series


def make_people(n):
    return [
        create_user(f"p{i}@example.jp", name=f"参加 {i}", furigana=f"さんか {i}") for i in range(n)
    ]


def periodic_pass(now=None) -> int:
    """Time passes: the pass the mail thread or worker runs every ATTENDANCE_POLL_SECONDS
    (app.attendance.jobs), committed as its runner does. Rows a test writes itself (a socket,
    a session moved in time) announce nothing: pages show them after such a pass."""
    done = keep_current(now)
    db.session.commit()
    return done


def shift(session, *, starts_in: timedelta, hours=2):
    session.starts_at = utcnow() + starts_in
    session.ends_at = session.starts_at + timedelta(hours=hours)
    db.session.commit()


def records(session_id):
    return {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }


def stay(session, user, start_min, end_min, *, sid=None, open_=False):
    """A socket in the room from start_min to end_min minutes after the session's start."""
    start = session.starts_at + timedelta(minutes=start_min)
    end = session.starts_at + timedelta(minutes=end_min)
    db.session.add(
        Connection(
            session_id=session.id,
            user_id=user.id,
            sid=sid or f"s{user.id}-{start_min}",
            process="test",
            joined_at=start,
            last_seen_at=end,
            left_at=None if open_ else end,
        )
    )
    db.session.commit()


@pytest.fixture
def past(app, world):
    """A finished hybrid session (2 hours, online threshold 50%) and five people, one of each
    outcome; returns (series, session, people by role)."""
    with app.app_context():
        series = make_series(
            world["org"],
            sessions=(("hybrid", 10, 10), ("online", None, 10)),
            online_threshold_percent=50,
            completion_min_sessions=2,
        )
        venue, online, partial, absent, excused = make_people(5)
        for user in (venue, absent, excused):
            registration.register(series, user, mode="venue", consent=True)
        for user in (online, partial):
            registration.register(series, user, mode="online", consent=True)
        first = series.sessions[0]
        reg = registration.active_registration(series.id, excused.id)
        registration.cancel(reg, session_id=first.id)  # a week before: excused
        shift(first, starts_in=timedelta(minutes=-20))
        checkin.decide(
            first,
            None,
            registration=registration.active_registration(series.id, venue.id),
            source="manual",
        )
        shift(first, starts_in=timedelta(hours=-3))
        reg.place_for(first.id).cancelled_at = first.starts_at - timedelta(days=7)
        db.session.commit()
        # two tabs overlapping (0-40 and 30-70 min): 70 minutes, not 80; and time after the end
        # does not count (70 minutes of 120 is over 50%)
        stay(first, online, 0, 40)
        stay(first, online, 30, 70, sid="tab2")
        stay(first, online, 150, 170, sid="after")
        stay(first, partial, -10, 20)  # 20 minutes inside the session: partial
        people = {
            "venue": venue.id,
            "online": online.id,
            "partial": partial.id,
            "absent": absent.id,
            "excused": excused.id,
        }
        return series.id, first.id, people
