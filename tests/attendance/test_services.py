"""Attendance from check-ins and time in the room: the rules, the live updates, corrections."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attendance import services as attendance
from app.attendance.models import AttendanceStatus, SessionAttendance
from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.core.errors import ValidationFailed
from app.events.models import Mode
from app.extensions import db
from app.live import presence
from app.registration import services as registration
from tests.attendance.helpers import make_people, periodic_pass, records, shift, stay
from tests.registration.factories import make_series

S = AttendanceStatus


def test_a_finished_session_gets_one_record_per_person_by_the_rules(app, past):
    _series_id, session_id, people = past
    with app.app_context():
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        attendance.compute_session(session)
        found = records(session_id)
        status = {role: found[uid].status for role, uid in people.items()}
        assert status == {
            "venue": S.attended_venue,
            "online": S.attended_online,
            "partial": S.partial,
            "absent": S.absent,
            "excused": S.excused,
        }
        assert found[people["online"]].online_minutes == 70
        assert found[people["partial"]].online_minutes == 20
        assert found[people["venue"]].checked_in_at is not None
        assert found[people["online"]].mode is Mode.online

        # computing again changes nothing and adds nothing
        assert attendance.compute_session(session) == 0
        assert len(records(session_id)) == 5


def test_attendance_becomes_final_and_then_only_recompute_changes_it(app, past, monkeypatch):
    _series_id, session_id, people = past
    with app.app_context():
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        monkeypatch.setitem(app.config, "ATTENDANCE_FINAL_HOURS", 1)
        assert [s.id for s in attendance.sessions_due()] == [session_id]
        periodic_pass()  # the mail thread or worker: no page writes it
        assert attendance.is_final(session_id)
        assert attendance.sessions_due() == []

        # late evidence (say, an old socket found open) does not move a final record ...
        stay(session, records(session_id)[people["absent"]].user, 0, 100, sid="late")
        attendance.update_people(session_id, [people["absent"]])
        assert records(session_id)[people["absent"]].status is S.absent
        # ... until someone rebuilds it on purpose
        attendance.recompute([session])
        assert records(session_id)[people["absent"]].status is S.attended_online
        assert attendance.is_final(session_id)


def test_an_override_needs_a_reason_is_audited_and_survives_recompute(app, world, past):
    _series_id, session_id, people = past
    with app.app_context():
        from app.accounts.models import User
        from app.events.models import Session

        session = db.session.get(Session, session_id)
        attendance.compute_session(session)
        record = records(session_id)[people["absent"]]
        organizer = db.session.get(User, world["organizer"])
        with pytest.raises(ValidationFailed) as refused:
            attendance.override(record, "attended_venue", "  ", organizer)
        assert "reason" in refused.value.fields
        with pytest.raises(ValidationFailed) as refused:
            attendance.override(record, "present", "紙の名簿で確認", organizer)
        assert "status" in refused.value.fields

        attendance.override(record, "attended_venue", "紙の名簿で確認", organizer)
        attendance.recompute([session])
        record = records(session_id)[people["absent"]]
        assert record.status is S.attended_venue and record.computed_status is S.absent
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "attendance.override")
        ).one()
        assert event.details["reason"] == "紙の名簿で確認" and event.details["before"] == "absent"
        assert event.subject_user_id == people["absent"] and event.org_id == world["org"]

        attendance.override(record, None, "取り消し", organizer)  # back to the evidence
        assert records(session_id)[people["absent"]].status is S.absent


def test_progress_counts_attended_sessions_against_the_rule(app, past):
    series_id, _session_id, people = past
    with app.app_context():
        from app.events.models import Series

        series = db.session.get(Series, series_id)
        second = series.sessions[1]
        attendance.compute_session(series.sessions[0])
        shift(second, starts_in=timedelta(hours=-2), hours=1)
        from app.accounts.models import User

        online = db.session.get(User, people["online"])
        stay(second, online, 0, 60)
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
        at_venue, in_room = make_people(2)
        registration.register(series, at_venue, mode="venue", consent=True)
        registration.register(series, in_room, mode="online", consent=True)
        session = series.sessions[0]
        shift(session, starts_in=timedelta(minutes=-61))

        verdict = checkin.decide(
            session,
            None,
            registration=registration.active_registration(series.id, at_venue.id),
            source="manual",
        )
        assert verdict.status == "ok"
        db.session.commit()  # the edge commits; attendance follows the commit
        assert records(session.id)[at_venue.id].status is S.attended_venue

        presence.connect(session.id, in_room.id, "sid-1", "test", now=session.starts_at)
        presence.disconnect("sid-1", "test")  # 61 minutes of 120: over the threshold
        db.session.commit()  # the socket event commits; attendance follows the commit
        assert records(session.id)[in_room.id].status is S.attended_online
        assert records(session.id)[in_room.id].online_minutes == 61

        from app.accounts.models import User

        checkin.undo(verdict.checkin, db.session.get(User, world["staff"]))
        db.session.commit()
        assert records(session.id)[at_venue.id].status is S.absent
        assert db.session.get(SessionAttendance, session.id) is None  # only people updated


def test_nobody_attends_a_session_that_has_not_started_or_was_cancelled(app, world):
    with app.app_context():
        series = make_series(world["org"])
        (person,) = make_people(1)
        registration.register(series, person, mode="venue", consent=True)
        session = series.sessions[0]
        attendance.compute_session(session)
        assert records(session.id) == {}
