"""Attendance and certificates in one unit of work each (issue 17): the edge (a view, an API
operation, a CLI command, a receiver) commits once, services only flush, a failure leaves
nothing behind, and what a check-in means for attendance is computed after the check-in's
commit, in a unit of work of its own."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import User
from app.attendance import receivers
from app.attendance import services as attendance
from app.attendance.models import Attendance, AttendanceStatus, Certificate
from app.audit import services as audit
from app.audit.models import AuditEvent
from app.checkin.models import CheckIn
from app.core import uow
from app.core.types import utcnow
from app.events.models import Series, Session
from app.extensions import db
from tests.api.test_api_checkin import scan, secret_of, venue  # noqa: F401 (fixture)
from tests.attendance.test_api_attendance import _headers, _record_id
from tests.attendance.test_certificates import done  # noqa: F401 (fixture)
from tests.attendance.test_dashboard import _client, _correct
from tests.attendance.test_dashboard import finished as finished  # (a fixture)
from tests.conftest import login, post_form


class Commits:
    """Commits of the edge's own unit of work, apart from those of what follows it."""

    def __init__(self):
        self.edge = 0
        self.after = 0

    def __call__(self, session):
        if session.info.get(uow._RUNNING):
            self.after += 1
        else:
            self.edge += 1


@pytest.fixture
def commits():
    counter = Commits()
    event.listen(uow.UnitOfWorkSession, "after_commit", counter)
    yield counter
    event.remove(uow.UnitOfWorkSession, "after_commit", counter)


def _audited(name: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.event == name))


def _record(record_id: int) -> Attendance:
    db.session.expire_all()
    return db.session.get(Attendance, record_id)


# --- finalising --------------------------------------------------------------------------------


def test_the_finaliser_commits_once_per_session_it_makes_final(app, past, commits, monkeypatch):
    _series_id, session_id, _people = past
    monkeypatch.setitem(app.config, "ATTENDANCE_FINAL_HOURS", 1)
    with app.app_context():
        due = [s.id for s in attendance.sessions_due()]
    assert session_id in due
    commits.edge = 0
    result = app.test_cli_runner().invoke(args=["attendance", "finalize"])
    assert result.exit_code == 0, result.output
    assert commits.edge == len(due)  # each session final on its own, nothing else
    with app.app_context():
        assert all(attendance.is_final(s) for s in due)
        assert attendance.sessions_due() == []


def test_a_finaliser_that_fails_leaves_the_session_as_it_was(app, past, monkeypatch):
    _series_id, session_id, _people = past
    monkeypatch.setitem(app.config, "ATTENDANCE_FINAL_HOURS", 1)
    with app.app_context():
        before = {(a.user_id, a.status) for a in db.session.scalars(select(Attendance))}
    real = attendance.compute_session

    def computes_then_fails(*args, **kwargs):
        real(*args, **kwargs)  # the records are written (flushed) ... then it breaks
        raise RuntimeError("the finaliser failed")

    monkeypatch.setattr(attendance, "compute_session", computes_then_fails)
    result = app.test_cli_runner().invoke(args=["attendance", "finalize"])
    assert isinstance(result.exception, RuntimeError)
    with app.app_context():
        db.session.rollback()
        assert not attendance.is_final(session_id)
        assert {(a.user_id, a.status) for a in db.session.scalars(select(Attendance))} == before


# --- the organiser's correction ------------------------------------------------------------------


def test_a_correction_on_the_page_commits_once(app, world, finished, commits):
    series_id, session_id, people = finished
    record_id = _record_id(app, session_id, people["absent"])
    client = _client(app, "organizer@example.jp")
    commits.edge = 0
    answer = _correct(
        client, world, series_id, session_id, record_id, "attended_venue", "紙の名簿に署名あり"
    )
    assert answer.status_code == 302
    assert commits.edge == 1
    with app.app_context():
        assert _record(record_id).status is AttendanceStatus.attended_venue


def test_a_correction_through_the_api_commits_once(app, world, client, finished, commits):
    _series_id, session_id, people = finished
    record_id = _record_id(app, session_id, people["absent"])
    headers = _headers(app, world["organizer"])
    commits.edge = 0
    answer = client.patch(
        f"/api/v1/attendance/{record_id}",
        json={"status": "attended_venue", "reason": "紙の名簿に署名あり"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.json
    assert commits.edge == 1
    with app.app_context():
        assert _record(record_id).status is AttendanceStatus.attended_venue


def test_a_correction_that_fails_after_writing_leaves_nothing(
    app, world, client, finished, monkeypatch
):
    _series_id, session_id, people = finished
    record_id = _record_id(app, session_id, people["absent"])
    headers = _headers(app, world["organizer"])

    def fails(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit, "record", fails)  # after the record was changed
    answer = client.patch(
        f"/api/v1/attendance/{record_id}",
        json={"status": "attended_venue", "reason": "紙の名簿に署名あり"},
        headers=headers,
    )
    assert answer.status_code == 500
    with app.app_context():
        record = _record(record_id)
        assert record.status is AttendanceStatus.absent and record.override_status is None
        assert _audited("attendance.override") == 0


# --- certificates ------------------------------------------------------------------------------


def test_issuing_a_certificate_commits_once_and_checking_it_commits_nothing(
    app,
    done,  # noqa: F811
    commits,
):
    with app.app_context():
        for session in db.session.get(Series, done).sessions:
            attendance.finalize(session)
        db.session.commit()
    client = app.test_client()
    login(client, "participant@example.jp")
    commits.edge = 0
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 200
    assert commits.edge == 1
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        assert _audited("certificate.issued") == 1

    commits.edge = 0
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 200  # the same one
    assert app.test_client().get(f"/certificates/{certificate.code}").status_code == 200
    assert commits.edge == 1  # the download's own unit of work; the check page reads only


def test_withdrawing_a_certificate_commits_once(app, world, done, commits):  # noqa: F811
    client = app.test_client()
    login(client, "participant@example.jp")
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 200
    with app.app_context():
        code = db.session.scalars(select(Certificate.code)).one()
        series = db.session.get(Series, done)
        record = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == series.sessions[1].id,
                Attendance.user_id == world["participant"],
            )
        )
        attendance.override(
            record, "absent", "接続記録の誤り", db.session.get(User, world["organizer"])
        )
        db.session.commit()

    commits.edge = 0
    assert app.test_client().get(f"/certificates/{code}").status_code == 200
    assert commits.edge == 0  # the public page reads only
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 404
    assert commits.edge == 1  # the holder's download: revoked and audited together
    with app.app_context():
        assert db.session.scalars(select(Certificate)).one().revoked_at is not None
        assert _audited("certificate.revoked") == 1


def test_a_certificate_that_fails_to_be_issued_leaves_nothing(
    app,
    done,  # noqa: F811
    monkeypatch,
):
    def fails(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit, "record", fails)
    client = app.test_client()
    login(client, "participant@example.jp")
    assert post_form(client, f"/me/certificates/{done}.pdf").status_code == 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


# --- after a check-in ----------------------------------------------------------------------------


def test_attendance_follows_a_check_in_after_its_commit_in_its_own_unit_of_work(
    app,
    client,
    venue,  # noqa: F811
    commits,
    monkeypatch,
):
    seen = []
    real = receivers.update_people

    def watching(session_id, user_ids):
        # by now the check-in has committed, and this runs in the after-commit queue
        seen.append((commits.edge, commits.after, db.session.info.get(uow._RUNNING)))
        real(session_id, user_ids)

    monkeypatch.setattr(receivers, "update_people", watching)
    venue.session.starts_at = utcnow() - timedelta(minutes=10)  # under way: attendance counts
    db.session.commit()
    commits.edge = commits.after = 0
    assert scan(client, venue, secret_of(venue.hanako))["status"] == "ok"
    assert seen and seen[0][0] == 1 and seen[0][2]  # after the scan's one commit
    assert commits.edge == 1
    assert commits.after >= 1  # attendance committed on its own
    db.session.expire_all()
    record = db.session.scalars(
        select(Attendance).where(
            Attendance.session_id == venue.session.id,
            Attendance.user_id == venue.hanako.user_id,
        )
    ).one()
    assert record.status is AttendanceStatus.attended_venue


def test_a_failing_attendance_update_never_undoes_the_check_in(
    app,
    client,
    venue,  # noqa: F811
    monkeypatch,
):
    venue.session.starts_at = utcnow() - timedelta(minutes=10)
    db.session.commit()

    def fails(*args, **kwargs):
        raise RuntimeError("attendance is broken")

    monkeypatch.setattr(attendance, "compute_session", fails)
    assert scan(client, venue, secret_of(venue.hanako))["status"] == "ok"
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.session_id == venue.session.id)
        )
        == 0
    )
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_a_get_of_attendance_that_is_final_commits_nothing(app, world, finished, commits):
    series_id, session_id, _people = finished
    with app.app_context():
        attendance.finalize(db.session.get(Session, session_id))
        db.session.commit()
    client = _client(app, "organizer@example.jp")
    commits.edge = 0
    url = f"/orgs/{world['org']}/series/{series_id}/sessions/{session_id}/attendance"
    assert client.get(url).status_code == 200
    assert commits.edge == 0
