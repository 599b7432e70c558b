"""Attendance from check-ins and time in the room: the rules, the live updates, corrections."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attendance import services as attendance
from app.attendance.models import Attendance, AttendanceStatus, SessionAttendance
from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.core.errors import ValidationFailed
from app.core.types import utcnow
from app.events.models import Mode
from app.extensions import db
from app.live import presence
from app.live.models import Connection
from app.registration import services as registration
from tests.conftest import create_user
from tests.registration.factories import make_series

S = AttendanceStatus


def _people(n):
    return [
        create_user(f"p{i}@example.jp", name=f"参加 {i}", furigana=f"さんか {i}") for i in range(n)
    ]


def _shift(session, *, starts_in: timedelta, hours=2):
    session.starts_at = utcnow() + starts_in
    session.ends_at = session.starts_at + timedelta(hours=hours)
    db.session.commit()


def _records(session_id):
    return {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }


def _stay(session, user, start_min, end_min, *, sid=None, open_=False):
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
        venue, online, partial, absent, excused = _people(5)
        for user in (venue, absent, excused):
            registration.register(series, user, mode="venue", consent=True)
        for user in (online, partial):
            registration.register(series, user, mode="online", consent=True)
        first = series.sessions[0]
        reg = registration.active_registration(series.id, excused.id)
        registration.cancel(reg, session_id=first.id)  # a week before: excused
        _shift(first, starts_in=timedelta(minutes=-20))
        checkin.decide(
            first,
            None,
            registration=registration.active_registration(series.id, venue.id),
            source="manual",
        )
        _shift(first, starts_in=timedelta(hours=-3))
        reg.place_for(first.id).cancelled_at = first.starts_at - timedelta(days=7)
        db.session.commit()
        # two tabs overlapping (0-40 and 30-70 min): 70 minutes, not 80; and time after the end
        # does not count (70 minutes of 120 is over 50%)
        _stay(first, online, 0, 40)
        _stay(first, online, 30, 70, sid="tab2")
        _stay(first, online, 150, 170, sid="after")
        _stay(first, partial, -10, 20)  # 20 minutes inside the session: partial
        people = {
            "venue": venue.id,
            "online": online.id,
            "partial": partial.id,
            "absent": absent.id,
            "excused": excused.id,
        }
        return series.id, first.id, people


def test_a_finished_session_gets_one_record_per_person_by_the_rules(app, past):
    _series_id, session_id, people = past
    with app.app_context():
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        attendance.compute_session(session)
        records = _records(session_id)
        status = {role: records[uid].status for role, uid in people.items()}
        assert status == {
            "venue": S.attended_venue,
            "online": S.attended_online,
            "partial": S.partial,
            "absent": S.absent,
            "excused": S.excused,
        }
        assert records[people["online"]].online_minutes == 70
        assert records[people["partial"]].online_minutes == 20
        assert records[people["venue"]].checked_in_at is not None
        assert records[people["online"]].mode is Mode.online

        # computing again changes nothing and adds nothing
        assert attendance.compute_session(session) == 0
        assert len(_records(session_id)) == 5


def test_attendance_becomes_final_and_then_only_recompute_changes_it(app, past, monkeypatch):
    _series_id, session_id, people = past
    with app.app_context():
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        monkeypatch.setitem(app.config, "ATTENDANCE_FINAL_HOURS", 1)
        assert [s.id for s in attendance.sessions_due()] == [session_id]
        attendance.ensure_current([session])
        assert attendance.is_final(session_id)
        assert attendance.sessions_due() == []

        # late evidence (say, an old socket found open) does not move a final record ...
        _stay(session, _records(session_id)[people["absent"]].user, 0, 100, sid="late")
        attendance.update_people(session_id, [people["absent"]])
        assert _records(session_id)[people["absent"]].status is S.absent
        # ... until someone rebuilds it on purpose
        attendance.recompute([session])
        assert _records(session_id)[people["absent"]].status is S.attended_online
        assert attendance.is_final(session_id)


def test_an_override_needs_a_reason_is_audited_and_survives_recompute(app, world, past):
    _series_id, session_id, people = past
    with app.app_context():
        from app.accounts.models import User
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        attendance.compute_session(session)
        record = _records(session_id)[people["absent"]]
        organizer = db.session.get(User, world["organizer"])
        with pytest.raises(ValidationFailed) as refused:
            attendance.override(record, "attended_venue", "  ", organizer)
        assert "reason" in refused.value.fields
        with pytest.raises(ValidationFailed) as refused:
            attendance.override(record, "present", "紙の名簿で確認", organizer)
        assert "status" in refused.value.fields

        attendance.override(record, "attended_venue", "紙の名簿で確認", organizer)
        attendance.recompute([session])
        record = _records(session_id)[people["absent"]]
        assert record.status is S.attended_venue and record.computed_status is S.absent
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "attendance.override")
        ).one()
        assert event.details["reason"] == "紙の名簿で確認" and event.details["before"] == "absent"
        assert event.subject_user_id == people["absent"] and event.org_id == world["org"]

        attendance.override(record, None, "取り消し", organizer)  # back to the evidence
        assert _records(session_id)[people["absent"]].status is S.absent


def test_progress_counts_attended_sessions_against_the_rule(app, past):
    series_id, _session_id, people = past
    with app.app_context():
        from app.events.models import Series

        series = db.session.get(Series, series_id)
        second = series.sessions[1]
        attendance.compute_session(series.sessions[0])
        _shift(second, starts_in=timedelta(hours=-2), hours=1)
        from app.accounts.models import User

        online = db.session.get(User, people["online"])
        _stay(second, online, 0, 60)
        attendance.compute_session(second)
        done = attendance.progress(people["online"], [series_id])[series_id]
        assert (done.attended, done.sessions, done.required, done.completed) == (2, 2, 2, True)
        partly = attendance.progress(people["venue"], [series_id])[series_id]
        assert (partly.attended, partly.completed) == (1, False)


def test_check_ins_and_the_room_update_attendance_as_they_happen(app, world):
    with app.app_context():
        series = make_series(
            world["org"], sessions=(("hybrid", 5, 5),), online_threshold_percent=50
        )
        at_venue, in_room = _people(2)
        registration.register(series, at_venue, mode="venue", consent=True)
        registration.register(series, in_room, mode="online", consent=True)
        session = series.sessions[0]
        _shift(session, starts_in=timedelta(minutes=-61))

        verdict = checkin.decide(
            session,
            None,
            registration=registration.active_registration(series.id, at_venue.id),
            source="manual",
        )
        assert verdict.status == "ok"
        assert _records(session.id)[at_venue.id].status is S.attended_venue

        presence.connect(session.id, in_room.id, "sid-1", "test", now=session.starts_at)
        presence.disconnect("sid-1", "test")  # 61 minutes of 120: over the threshold
        assert _records(session.id)[in_room.id].status is S.attended_online
        assert _records(session.id)[in_room.id].online_minutes == 61

        from app.accounts.models import User

        checkin.undo(verdict.checkin, db.session.get(User, world["staff"]))
        assert _records(session.id)[at_venue.id].status is S.absent
        assert db.session.get(SessionAttendance, session.id) is None  # only people updated


def test_nobody_attends_a_session_that_has_not_started_or_was_cancelled(app, world):
    with app.app_context():
        series = make_series(world["org"])
        (person,) = _people(1)
        registration.register(series, person, mode="venue", consent=True)
        session = series.sessions[0]
        attendance.compute_session(session)
        assert _records(session.id) == {}
