"""Attendance in a real browser: the organiser's series dashboard draws its charts, the session
dashboard takes a correction and keeps its counts current by itself, and a participant who
completed the series downloads the certificate from 参加履歴."""

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.events.models import Series, Session
from app.extensions import db
from tests.attendance.helpers import past, shift, stay
from tests.e2e.test_live_e2e import session_cookie

__all__ = ["past"]  # the finished session with one person of each outcome (a fixture)


def logged_in(app, browser, live_server, email, *, width=1280, height=900):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="ja-JP",
        base_url=live_server,
        accept_downloads=True,
    )
    value = session_cookie(app, email)
    context.add_cookies(
        [{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": live_server}]
    )
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m, p=page: m.type == "error" and p.problems.append(m.text))
    page.on("pageerror", lambda e, p=page: p.problems.append(str(e)))
    return page


def test_the_organiser_sees_charts_corrects_a_record_and_the_counts_follow(
    app, browser, live_server, world, past
):
    series_id, session_id, people = past
    with app.app_context():
        attendance.compute_session(db.session.get(Session, session_id))
        db.session.commit()  # services flush; the caller commits
    org = world["org"]
    page = logged_in(app, browser, live_server, world["emails"]["organizer"])

    page.goto(f"/orgs/{org}/series/{series_id}/dashboard")
    charts = page.locator("canvas[data-chart]")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 3
    # Chart.js drew something: the first chart's canvas is not blank
    drawn = page.evaluate(
        """() => { const c = document.querySelector('canvas[data-chart]');
                   const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   return px.some(v => v !== 0); }"""
    )
    assert drawn

    page.goto(f"/orgs/{org}/series/{series_id}/sessions/{session_id}/attendance")
    venue = page.locator('[data-count="attended_venue"]')
    online = page.locator('[data-count="attended_online"]')
    absent = page.locator('[data-count="absent"]')
    expect(venue).to_have_text("1")
    expect(absent).to_have_text("1")

    # the absent person signed the paper list: a correction with a reason
    with app.app_context():
        record = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == session_id, Attendance.user_id == people["absent"]
            )
        )
        row_id = record.id
    page.locator(f"#attendance-{row_id} a", has_text="修正").click()
    page.get_by_label("理由").fill("紙の名簿に署名あり")
    page.locator("select").first.select_option("attended_venue")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(f"#attendance-{row_id}")).to_contain_text("紙の名簿に署名あり")
    expect(venue).to_have_text("2")
    expect(absent).to_have_text("0")

    # while the page is open, the partly-online person comes back to the room for long enough:
    # the page asks the API every 15 seconds and shows it without a reload
    with app.app_context():
        session = db.session.get(Session, session_id)
        stay(session, db.session.get(User, people["partial"]), 20, 100, sid="back")
        attendance.update_people(session_id, [people["partial"]])
        db.session.commit()
    expect(online).to_have_text("2", timeout=25_000)
    assert page.problems == []
    page.context.close()


def test_a_participant_who_completed_the_series_downloads_the_certificate(
    app, browser, live_server, world, past
):
    series_id, _session_id, people = past
    with app.app_context():
        series = db.session.get(Series, series_id)
        second = series.sessions[1]
        shift(second, starts_in=timedelta(hours=-2), hours=1)
        online = db.session.get(User, people["online"])
        stay(second, online, 0, 60)
        attendance.recompute(series.sessions)
        db.session.commit()  # services flush; the caller commits
        email = online.email

    page = logged_in(app, browser, live_server, email, width=360, height=740)
    page.goto("/me/history")
    expect(page.locator("main")).to_contain_text("修了")
    with page.expect_download() as download:
        page.locator(f'[data-testid="certificate-{series_id}"]').click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"
    assert page.problems == []
    page.context.close()
