"""Attendance pages (a session's dashboard, corrections, one person's history) and the
attendance API, for the authorization matrix.

The session is one of `world`'s first organisation, under way; the world's participant holds a
place in it (so the API answers them 403, not 404) and another person has a record to correct.
"""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.security.routes_api_checkin import API_STAFF_UP
from tests.security.routes_events import organizers

SESSION = "/orgs/{org}/series/{at_series}/sessions/{at_session}/attendance"
CORRECTION = {"status": "attended_venue", "reason": "紙の名簿で確認"}

ROWS = [
    # staff check people in at the door: the attendance records are organisers' and owners'
    ("attendance_manage.session_dashboard", "GET", SESSION, None, organizers(200)),
    ("attendance_manage.session_dashboard", "GET", SESSION + "?status=absent&sort=-furigana",
     None, organizers(200)),
    ("attendance_manage.session_dashboard", "GET", SESSION + "?q=%00&page=-1", None,
     organizers(200)),
    ("attendance_manage.correction", "GET", SESSION + "/{at_record}", None, organizers(200)),
    ("attendance_manage.correct", "POST", SESSION + "/{at_record}", CORRECTION, organizers(302)),
    ("attendance_manage.correct", "POST", SESSION + "/{at_record}", {"status": "x"},
     organizers(422)),
    ("attendance_manage.person", "GET", "/orgs/{org}/people/{at_person}", None, organizers(200)),
    # someone who never registered with the organisation does not exist there
    ("attendance_manage.person", "GET", "/orgs/{org}/people/{at_staff}", None, organizers(404)),
]  # fmt: skip

API_ROWS = [
    ("api_attendance.session_attendance", "GET", "/api/v1/sessions/{at_session}/attendance",
     None, {**API_STAFF_UP, "staff": 403}),
    ("api_attendance.series_attendance", "GET", "/api/v1/series/{at_series}/attendance",
     None, {**API_STAFF_UP, "staff": 403}),
    ("api_attendance.attendance_record", "GET", "/api/v1/attendance/{at_record}", None,
     {**API_STAFF_UP, "staff": 403}),
    ("api_attendance.correct", "PATCH", "/api/v1/attendance/{at_record}", CORRECTION,
     {**API_STAFF_UP, "staff": 403}),
    ("api_attendance.correct", "PATCH", "/api/v1/attendance/{at_record}",
     {"status": "present", "reason": "x"}, {**API_STAFF_UP, "staff": 403, "organizer": 422,
                                            "owner": 422}),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = make_series(world["org"], title="出席のある講座")
        participant = db.session.get(User, world["participant"])
        reg.register(series, participant, mode="venue", consent=True)
        someone = create_user("attendee@example.jp", name="出席 太郎", furigana="しゅっせき たろう")
        reg.register(series, someone, mode="online", consent=True)
        session = series.sessions[0]  # under way since half an hour
        session.starts_at = utcnow() - timedelta(minutes=30)
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        attendance.compute_session(session)
        db.session.commit()  # services flush; the caller commits
        record_id = db.session.scalar(
            select(Attendance.id).where(
                Attendance.session_id == session.id, Attendance.user_id == someone.id
            )
        )
        return {
            "at_series": series.id,
            "at_session": session.id,
            "at_record": record_id,
            "at_person": someone.id,
            "at_staff": world["staff"],
        }
