"""The demo's venue session whose check-in is open: 「しまね暮らし相談会 in 東京」, a one-session
event in Tokyo, so that staff can scan the demo tickets as soon as the demo is loaded.

It is made once (by title); every later `flask demo seed` (each `make run`) or `flask demo
live-now` starts it again shortly when its check-in is not open at that moment, and forgets the
scans of its earlier time, so a demo ticket scans green again.
"""

from datetime import timedelta

from sqlalchemy import delete, select

from app.accounts.models import User
from app.attendance.models import Attendance, SessionAttendance
from app.checkin.models import CheckIn
from app.checkin.rules import checkin_window
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series, Session
from app.extensions import db
from app.orgs.models import Organization
from app.registration import services as registration

DOOR = "しまね暮らし相談会 in 東京"
DOOR_DESCRIPTION = """\
島根への移住や二地域居住、まずは関わってみたい方のための相談会です。**会場参加のみ**（東京・有楽町）。
"""
VENUE = {
    "venue_name": "東京交通会館 会議室",
    "venue_address": "東京都千代田区有楽町2-10-1",
}
#: the session starts this long after the demo is (re)loaded: its check-in is open from then
STARTS_IN = timedelta(minutes=30)
LASTS = timedelta(hours=3)
#: fewer minutes of check-in than this left and the session is started again
MARGIN = timedelta(minutes=30)


def _start(now):
    return (now + STARTS_IN).replace(second=0, microsecond=0)


def _create(org: Organization, now) -> Series:
    series = events.create_series(
        org,
        None,
        {
            "title": DOOR,
            "theme": "migration",
            "description": DOOR_DESCRIPTION,
            "prefecture": "32",
            "municipality": "松江市",
            "registration_opens_at": now - timedelta(days=14),
            "registration_closes_at": _start(now),
            "published": True,
        },
    )
    start = _start(now)
    events.add_session(
        series,
        None,
        {
            "title": "相談会",
            "starts_at": start,
            "ends_at": start + LASTS,
            "format": "venue",
            **VENUE,
            "venue_capacity": 60,
        },
    )
    people = db.session.scalars(
        select(User)
        .where(
            User.email.in_(
                ["participant@example.jp", *(f"p{i:03d}@example.jp" for i in range(1, 31))]
            )
        )
        .order_by(User.email)
    ).all()
    for person in people:
        registration.register(series, person, mode="venue", consent=True)
    return series


def _forget_scans(session: Session) -> None:
    """The demo session moves to another time: its scans and attendance belong to the old one."""
    for model in (CheckIn, Attendance, SessionAttendance):
        db.session.execute(delete(model).where(model.session_id == session.id))


def open_the_door(org: Organization, now=None) -> Session:
    """Make the demo's venue session (once) and make sure its check-in is open now."""
    now = now or utcnow()
    series = db.session.scalar(select(Series).where(Series.org_id == org.id, Series.title == DOOR))
    if series is None:
        series = _create(org, now)
    session = series.sessions[0]
    opens, closes = checkin_window(session)
    if opens <= now and now + MARGIN <= closes:
        return session
    _forget_scans(session)
    start = _start(now)
    series.registration_closes_at = start
    events.update_session(session, None, {"starts_at": start, "ends_at": start + LASTS})
    return session
