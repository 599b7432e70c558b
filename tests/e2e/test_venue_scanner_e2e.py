"""サテライト会場 at the door, on a phone, by clicking only: staff of 東京会場 open 受付, the
session held in 松江会場 and 東京会場, choose 東京会場 (the scanner's address names it, so a
bookmark reopens it there); the fake camera shows a ticket for 松江会場: a red verdict naming
it, with 「この会場で受付」; one tap lets the person in here, green, and the latest check-ins
say it was a ticket for another venue. Screenshots: test-results/journeys/test_venue_scanner/.
"""

from playwright.sync_api import expect

from app.checkin import services as checkin
from app.extensions import db
from tests.checkin.helpers import two_venue_series
from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_journey_staff import SCAN_TIMEOUT, _registered, write_ticket_video
from tests.e2e.test_scanner_e2e import camera_phone  # noqa: F401 (a fixture)


def test_staff_at_tokyo_see_a_matsue_ticket_refused_naming_matsue_and_let_it_in_with_one_tap(
    app, browser_type, browser_type_launch_args, live_server, world, tmp_path
):
    with app.app_context():
        series, session, matsue, tokyo = two_venue_series(world["org"])
        hanako = _registered(
            series, "hanako@example.jp", "山田 花子", "やまだ はなこ", venue_id=matsue.id
        )
        _registered(series, "ken@example.jp", "林 健", "はやし けん", venue_id=tokyo.id)
        secret = checkin.issue_ticket(hanako).secret
        db.session.commit()
        session_title, tokyo_id = session.title, tokyo.id
    video = write_ticket_video(tmp_path / "matsue.y4m", [(secret, 1.6), (None, 16)])
    browser = browser_type.launch(
        **{
            **browser_type_launch_args,
            "args": [
                *browser_type_launch_args["args"],
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        }
    )
    context = browser.new_context(
        **PHONE, locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server, bypass_csp=True
    )
    page = context.new_page()
    journey = Journey(page, "test_venue_scanner")
    main = page.get_by_role("main")
    try:
        page.goto("/")  # the only address typed
        journey.log_in("staff@example.jp")
        journey.menu("主催団体")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        main.get_by_role("link", name="受付", exact=True).click()
        main.get_by_role("link", name=session_title).click()
        expect(main.get_by_text("どの会場で受付をしますか")).to_be_visible()
        journey.step("choose-venue")
        main.get_by_role("link", name="東京会場").click()
        scanner = page.locator("#scanner")
        expect(scanner).to_have_attribute("data-ready", "true")
        assert page.url.endswith(f"/venues/{tokyo_id}"), page.url  # a bookmark reopens here
        expect(page.locator("#scanner-venue")).to_have_text("東京会場")
        # the phone's offline list: Tokyo's people only (no one registered online here)
        expect(scanner).to_have_attribute("data-list-size", "1")
        journey.step("scanner-tokyo")

        main.get_by_role("button", name="読み取りを開始").click()
        verdict = page.locator("#verdict")
        expect(scanner).to_have_attribute("data-last-status", "rejected", timeout=SCAN_TIMEOUT)
        expect(verdict).to_have_attribute("data-status", "rejected")
        expect(page.locator("#verdict-message")).to_have_text("松江会場のチケットです。")
        override = page.get_by_role("button", name="この会場で受付")
        expect(override).to_be_visible()
        journey.step("red-matsue-ticket", settle=False)
        override.click()
        expect(scanner).to_have_attribute("data-last-status", "ok")
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(page.locator("#verdict-name")).to_have_text("山田 花子")
        expect(override).to_be_hidden()
        journey.step("green-let-in-here", settle=False)
        verdict.click()
        main.get_by_role("button", name="一時停止").click()
        recent = page.locator("#recent")
        expect(recent.get_by_text("山田 花子")).to_be_visible()
        expect(recent.get_by_text("別会場のチケット（この会場で受付）")).to_be_visible()
        expect(page.locator("#count-checked-in")).to_have_text("1")
        journey.step("recent-with-override")
    finally:
        context.close()
        browser.close()

    with app.app_context():
        from sqlalchemy import select

        from app.audit.models import AuditEvent
        from app.checkin.models import CheckIn

        row = db.session.scalar(select(CheckIn))
        assert (row.venue_id, row.venue_override) == (tokyo_id, True)
        logged = db.session.scalar(
            select(AuditEvent).where(AuditEvent.event == "checkin.venue_override")
        )
        assert logged.details["ticket_venue"] == "松江会場" and logged.actor_id == world["staff"]


def test_an_offline_phone_at_tokyo_names_matsue_and_its_override_syncs_once(
    app,
    world,
    camera_phone,  # noqa: F811 (the fixture imported above)
):
    """The Wi-Fi is down at 東京会場: the phone's list holds Matsue's tickets only as hash and
    venue, so the red verdict still names 松江会場; 「この会場で受付」 queues the admission, and
    the sync records it at Tokyo, with the override logged, once."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.checkin.models import CheckIn
    from tests.e2e.test_scanner_e2e import log_in

    with app.app_context():
        series, session, matsue, tokyo = two_venue_series(world["org"])
        hanako = _registered(
            series, "hanako@example.jp", "山田 花子", "やまだ はなこ", venue_id=matsue.id
        )
        secret = checkin.issue_ticket(hanako).secret
        db.session.commit()
        path = f"/orgs/{world['org']}/checkin/sessions/{session.id}/venues/{tokyo.id}"
        tokyo_id = tokyo.id

    with camera_phone(secret) as page:
        log_in(page, world["emails"]["staff"])
        page.goto(path)
        scanner = page.locator("#scanner")
        expect(scanner).to_have_attribute("data-ready", "true")
        expect(scanner).to_have_attribute("data-list-size", "0")  # nobody of Tokyo's yet
        page.context.set_offline(True)
        page.locator("#scan-toggle").click()
        expect(scanner).to_have_attribute("data-last-status", "rejected", timeout=SCAN_TIMEOUT)
        expect(page.locator("#verdict-message")).to_have_text("松江会場のチケットです。")
        page.get_by_role("button", name="この会場で受付").click()
        expect(scanner).to_have_attribute("data-last-status", "ok")
        expect(page.locator("#verdict-offline")).to_be_visible()
        expect(page.locator("#queue-length")).to_have_text("1")
        with app.app_context():
            assert db.session.scalars(select(CheckIn)).all() == []
        page.context.set_offline(False)
        expect(page.locator("#queue-length")).to_have_text("0", timeout=15_000)
        page.locator("#sync-now").click()  # nothing left to send: nothing changes
        page.wait_for_timeout(500)

    with app.app_context():
        (row,) = db.session.scalars(select(CheckIn)).all()
        assert (row.venue_id, row.venue_override, row.source) == (tokyo_id, True, "offline")
        logged = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "checkin.venue_override")
        ).all()
        assert len(logged) == 1 and logged[0].details["ticket_venue"] == "松江会場"


def test_an_organiser_on_a_laptop_finds_the_figures_per_venue_by_clicking(
    app, browser, live_server, world
):
    """From the home page: 年度報告 shows the session per venue, its series' dashboard the
    line 東京会場 3 / 松江会場 2 / オンライン 1, and the session's 出席状況 the table per venue.
    Screenshots: test-results/journeys/test_venue_figures/."""
    from tests.attendance.test_venue_figures import _held
    from tests.e2e.journeys import LAPTOP

    with app.app_context():
        series, session, *_ = _held(world["org"])
        series_title, session_title = series.title, session.title
    context = browser.new_context(**LAPTOP, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_venue_figures")
    main = page.get_by_role("main")
    try:
        page.goto("/")
        journey.log_in("organizer@example.jp")
        journey.menu("主催団体")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        main.get_by_role("link", name="年度報告").click()
        venues = page.get_by_test_id("report-venues")
        expect(venues.get_by_role("row", name="東京会場")).to_contain_text("3")
        journey.step("report-per-venue")
        main.get_by_role("link", name=series_title).click()
        expect(main).to_contain_text("出席: 松江会場 2 / 東京会場 3 / オンライン 1")
        journey.step("series-dashboard")
        journey.menu("主催団体")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        main.get_by_role("link", name="連続講座・イベント").click()
        main.get_by_role("link", name=series_title).first.click()
        main.get_by_role("link", name="出席状況").first.click()
        figures = page.get_by_test_id("venue-figures")
        expect(figures.get_by_role("row", name="松江会場")).to_contain_text("4")
        expect(figures.get_by_role("row", name="オンライン")).to_be_visible()
        journey.step("session-per-venue")
        assert session_title
    finally:
        context.close()
