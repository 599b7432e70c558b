"""The demo can be tried at the door at once: a venue session whose check-in is open whenever
the demo is (re)loaded, and an online session whose room says plainly that no stream is set."""

from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.checkin import services as checkin
from app.core.types import utcnow
from app.demo.door import DOOR
from app.events.models import Series, Session
from app.extensions import db
from app.registration.models import Registration
from tests.conftest import login


def _door():
    series = db.session.scalar(select(Series).where(Series.title == DOOR))
    return series, series.sessions[0]


def _demo_ticket(series, email="participant@example.jp"):
    user = db.session.scalar(select(User).where(User.email == email))
    registration = db.session.scalar(
        select(Registration).where(
            Registration.series_id == series.id, Registration.user_id == user.id
        )
    )
    return checkin.valid_ticket(registration) or checkin.issue_ticket(registration)


def test_staff_scan_a_demo_ticket_green_as_soon_as_the_demo_is_loaded(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    series, session = _door()
    assert "Check-in is open" in result.output and f"/sessions/{session.id}" in result.output
    staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
    verdict = checkin.decide(session, staff, secret=_demo_ticket(series).secret)
    assert verdict.status == "ok", verdict.message

    # Seeding again changes nothing while check-in is open: same series, same people, the scan
    # stands (the same ticket is now yellow).
    registrations = db.session.scalar(select(func.count()).select_from(Registration))
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.expire_all()
    assert (
        db.session.scalar(select(func.count()).select_from(Series).where(Series.title == DOOR)) == 1
    )
    assert db.session.scalar(select(func.count()).select_from(Registration)) == registrations
    series, session = _door()
    assert checkin.decide(session, staff, secret=_demo_ticket(series).secret).status == (
        "already_checked_in"
    )


def test_the_next_day_loading_the_demo_opens_the_check_in_again(app, ctx):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    series, session = _door()
    staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
    assert checkin.decide(session, staff, secret=_demo_ticket(series).secret).status == "ok"
    session.starts_at = utcnow() - timedelta(days=1)  # the demo was loaded yesterday
    session.ends_at = session.starts_at + timedelta(hours=3)
    db.session.commit()
    assert checkin.decide(session, staff, secret=_demo_ticket(series).secret).reason.value == (
        "closed"
    )

    for command in (["demo", "seed"], ["demo", "live-now"]):
        assert runner.invoke(args=command).exit_code == 0
        db.session.expire_all()
        series, session = _door()
        opens, closes = checkin.checkin_window(session)
        assert opens <= utcnow() < closes - timedelta(minutes=30)
    verdict = checkin.decide(session, staff, secret=_demo_ticket(series, "p001@example.jp").secret)
    assert verdict.status == "ok"  # yesterday's scans went with yesterday's time
    assert checkin.decide(session, staff, secret=_demo_ticket(series).secret).status == "ok"


def test_the_demos_live_session_says_plainly_that_there_is_no_stream_yet(app, ctx):
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    session = db.session.scalar(select(Session).where(Session.title == "第3回 地域の仕事をのぞく"))
    client = app.test_client()
    login(client, "participant@example.jp", "kakawari-demo")
    html = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    assert 'class="live-nostream"' in html and "配信URLはまだ登録されていません" in html
    assert "<iframe" not in html
