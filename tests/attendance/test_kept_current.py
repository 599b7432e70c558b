"""Attendance of a session under way is current without a page writing it (issue 17): a
check-in shows at once (its receiver recomputes the person after the check-in's commit), and
time in the live room shows after the periodic pass (app.attendance.jobs) that the mail thread
or worker runs every ATTENDANCE_POLL_SECONDS. Pages and the API only read, and commit nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attendance.jobs import keep_current, sessions_to_recompute
from app.attendance.models import SessionAttendance
from app.core.types import utcnow
from app.extensions import db
from app.live.models import Connection
from app.mail.delivery import run_periodic_jobs
from tests.api.test_api_checkin import scan, secret_of, venue  # noqa: F401 (fixture)
from tests.attendance.helpers import periodic_pass
from tests.attendance.test_dashboard import _client, _count, _url
from tests.commits import commits  # noqa: F401 (fixture)

MINUTES_IN = 40


@pytest.fixture
def under_way(app, world, venue):  # noqa: F811
    """The venue's session started 40 minutes ago (2 hours, online threshold 70%: 84 minutes);
    taro (online) has been in the live room since the start, his socket still open; hanako
    (venue) has not come yet. Attendance was last computed at the start."""
    session = venue.session
    session.starts_at = utcnow() - timedelta(minutes=MINUTES_IN)
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    keep_current(now=session.starts_at + timedelta(seconds=1))
    db.session.commit()
    db.session.add(
        Connection(
            session_id=session.id,
            user_id=venue.taro.user_id,
            sid="taro-phone",
            process="test",
            joined_at=session.starts_at,
            last_seen_at=utcnow(),
            left_at=None,
        )
    )
    db.session.commit()
    return venue


def _dashboard(app, world, v):
    client = _client(app, "organizer@example.jp")
    return client.get(_url(world, v.series.id, v.session.id)).get_data(as_text=True)


def _api_minutes(client, v, user_id) -> tuple[str, int]:
    body = client.get(f"/api/v1/sessions/{v.session.id}/attendance", headers=v.organizer).json
    record = next(r for r in body["records"] if r["user"]["id"] == user_id)
    return record["status"], record["online_minutes"]


def test_time_in_the_room_shows_after_the_periodic_pass_and_no_page_writes_it(
    app,
    world,
    client,
    under_way,
    commits,  # noqa: F811
):
    v = under_way
    organiser = _client(app, "organizer@example.jp")
    taro = _client(app, "taro@example.jp")
    _api_minutes(client, v, v.taro.user_id)  # the token's first use is recorded, once
    commits.reset()
    assert _api_minutes(client, v, v.taro.user_id) == ("absent", 0)  # as left at the start
    assert commits.edge == commits.after == 0  # reading brought nothing up to date

    assert periodic_pass() == 1  # the one session under way
    commits.reset()
    status, minutes = _api_minutes(client, v, v.taro.user_id)
    assert status == "partial" and MINUTES_IN - 1 <= minutes <= MINUTES_IN + 1
    html = organiser.get(_url(world, v.series.id, v.session.id)).get_data(as_text=True)
    assert _count(html, "partial") == 1 and _count(html, "absent") == 1
    assert f'<td data-field="online_minutes">{minutes}</td>' in html
    history = taro.get("/me/history.json").json
    sessions = [s for entry in history["series"] for s in entry["sessions"]]
    now = next(s for s in sessions if s["session_id"] == v.session.id)
    assert now["status"] == "in_progress" and now["online_minutes"] == minutes
    assert f"{minutes} min online" in taro.get("/me/history").get_data(as_text=True)
    assert commits.edge == 0 and commits.after == 0  # every read: no commit


def test_a_check_in_shows_at_once_without_waiting_for_the_pass(
    app,
    world,
    client,
    under_way,
    commits,  # noqa: F811
):
    v = under_way
    assert scan(client, v, secret_of(v.hanako))["status"] == "ok"
    assert _api_minutes(client, v, v.hanako.user_id)[0] == "attended_venue"
    html = _dashboard(app, world, v)
    assert _count(html, "attended_venue") == 1
    hanako = _client(app, "hanako@example.jp")
    sessions = [s for e in hanako.get("/me/history.json").json["series"] for s in e["sessions"]]
    today = next(s for s in sessions if s["session_id"] == v.session.id)
    assert today["status"] == "attended_venue"


def test_the_pass_leaves_final_sessions_and_those_ahead_alone_and_finalises_due_ones(
    app,
    under_way,
    monkeypatch,
):
    v = under_way
    assert [s.id for s in sessions_to_recompute(utcnow())] == [v.session.id]  # not v.later
    v.session.starts_at = utcnow() - timedelta(hours=5)
    v.session.ends_at = v.session.starts_at + timedelta(hours=2)
    db.session.commit()
    monkeypatch.setitem(app.config, "ATTENDANCE_FINAL_HOURS", 1)
    assert periodic_pass() == 1
    state = db.session.get(SessionAttendance, v.session.id)
    assert state.final_at is not None
    assert periodic_pass() == 0  # final: nothing more to do
    assert sessions_to_recompute(utcnow()) == []


def test_an_ended_session_is_computed_once_more_after_its_last_socket_could_count(
    app,
    under_way,
):
    v = under_way
    v.session.starts_at = utcnow() - timedelta(hours=3)
    v.session.ends_at = utcnow() - timedelta(hours=1)
    db.session.get(SessionAttendance, v.session.id).computed_at = v.session.ends_at
    db.session.commit()
    assert periodic_pass() == 1  # a socket quiet at the end still counted a little while
    assert periodic_pass() == 0  # computed after the end: no need to again until final


def test_the_mail_thread_and_worker_run_the_pass(app, under_way):
    """The job is registered with the mail runner (no cron needed), and commits its pass."""
    jobs = {job.name: job for job in app.extensions["mail_periodic_jobs"]}
    assert jobs["attendance"].seconds == app.config["ATTENDANCE_POLL_SECONDS"] == 15
    jobs["attendance"].last = None
    run_periodic_jobs(app)
    db.session.expire_all()
    state = db.session.get(SessionAttendance, under_way.session.id)
    assert utcnow() - state.computed_at < timedelta(minutes=1)
    assert (
        db.session.scalar(select(Connection.left_at).where(Connection.sid == "taro-phone")) is None
    )
