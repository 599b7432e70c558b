"""Venue staff on a phone (390×844), by clicking only: from the home page, log in, 受付, the
session whose check-in is open, then the fake camera shows a valid ticket (green), the same
ticket again (yellow: already checked in), and a ticket of another series of the organisation
(red, naming that series); last, a search by one kanji.

The camera is Chromium's fake device playing a video (../shared/TESTING.md) that loops: ticket
A, nothing for longer than the scanner's same-code pause, A again, nothing, ticket B, nothing.
One address is opened; after it only visible links and buttons are clicked (and the search
typed). Screenshots: test-results/journeys/test_journey_staff/.
"""

import io

from PIL import Image
from playwright.sync_api import expect

from app.checkin import services as checkin
from app.checkin.tickets import qr_png
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user
from tests.e2e.journeys import AXE, PHONE, Journey
from tests.registration.factories import make_series

SCAN_TIMEOUT = 60_000  # ms: a loop of the video is 16 s; the first decodes are slow on 2 cores
FPS = 5
W, H = 640, 480


def write_ticket_video(path, parts) -> str:
    """A looping Y4M video: `parts` is [(secret or None, seconds)], None a blank white frame."""
    uv = b"\x80" * ((W // 2) * (H // 2))
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for secret, seconds in parts:
            canvas = Image.new("L", (W, H), 255)
            if secret:
                modules = Image.open(io.BytesIO(qr_png(secret, box_size=1))).width
                qr = Image.open(io.BytesIO(qr_png(secret, box_size=400 // modules))).convert("L")
                canvas.paste(qr, ((W - qr.width) // 2, (H - qr.height) // 2))
            frame = b"FRAME\n" + canvas.tobytes() + uv + uv
            f.write(frame * int(seconds * FPS))
    return str(path)


def _registered(series, email, name, furigana, **kw):
    user = create_user(email, name=name, furigana=furigana)
    registration = reg.register(series, user, mode="venue", consent=True, **kw)
    return db.session.get(Registration, registration.id)


def test_staff_on_a_phone_scan_green_yellow_and_red_naming_the_series_then_find_by_one_kanji(
    app, browser_type, browser_type_launch_args, live_server, world, tmp_path
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    with app.app_context():
        series = series_happening_now(
            world["org"], title="しまね関係人口ゼミ 2026", sessions=[("hybrid", 20, 20)]
        )
        hanako = _registered(series, "hanako@example.jp", "山田 花子", "やまだ はなこ")
        _registered(series, "hayashi@example.jp", "林 健", "はやし けん")
        _registered(series, "kobayashi@example.jp", "小林 由美", "こばやし ゆみ")
        other = make_series(
            world["org"], title="海士町ワークショップ", sessions=[("venue", 20, None)]
        )
        stranger = _registered(other, "taro@example.jp", "鈴木 太郎", "すずき たろう")
        valid = checkin.issue_ticket(hanako).secret
        elsewhere = checkin.issue_ticket(stranger).secret
        db.session.commit()  # services flush; the caller commits
        session_title = series.sessions[0].title
    video = write_ticket_video(
        tmp_path / "tickets.y4m",
        [(valid, 1.6), (None, 4), (valid, 1.6), (None, 4), (elsewhere, 1.6), (None, 4)],
    )
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
    journey = Journey(page, "test_journey_staff")
    main = page.get_by_role("main")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")
        # On a phone the header is one line with a menu button, the links folded away.
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < 80, header
        toggle = page.get_by_role("button", name="メニュー")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        journey.step("menu-open")
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(toggle).to_be_focused()

        journey.log_in("staff@example.jp")
        journey.step("logged-in")
        journey.menu("主催団体")
        journey.step("organisations")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        journey.step("organisation")
        main.get_by_role("link", name="受付", exact=True).click()
        journey.step("sessions-at-the-door")
        main.get_by_role("link", name=session_title).click()
        scanner = page.locator("#scanner")
        expect(scanner).to_have_attribute("data-ready", "true")
        journey.step("scanner")

        main.get_by_role("button", name="読み取りを開始").click()
        verdict = page.locator("#verdict")
        for status, name in (
            ("ok", "green"),
            ("already_checked_in", "yellow"),
            ("rejected", "red-other-series"),
        ):
            expect(scanner).to_have_attribute("data-last-status", status, timeout=SCAN_TIMEOUT)
            expect(verdict).to_have_attribute("data-status", status)
            journey.step(name, settle=False)
            if status != "rejected":
                expect(page.locator("#verdict-name")).to_have_text("山田 花子")
        expect(page.locator("#verdict-message")).to_contain_text("海士町ワークショップ")
        if verdict.is_visible():
            verdict.click()  # a tap sends the verdict away
        main.get_by_role("button", name="一時停止").click()

        # A dead phone at the door: find the person by one kanji.
        main.get_by_label("氏名・ふりがな・メールアドレス").fill("林")
        results = page.locator("#search-results")
        expect(results.get_by_text("林 健")).to_be_visible()
        expect(results.get_by_text("小林 由美")).to_be_visible()
        expect(results.get_by_text("山田 花子")).to_have_count(0)
        journey.step("one-kanji-search")
    finally:
        context.close()
        browser.close()
