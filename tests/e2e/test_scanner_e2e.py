"""Venue staff scan real tickets through Chromium's fake camera (../shared/TESTING.md).

The camera shows one ticket's QR code per browser (the video file is fixed at launch), so each
test launches its own browser. The page is served from http://127.0.0.1: a secure context, so
the camera, crypto.subtle and the service worker are available.
"""

import io
import re
import time
from contextlib import contextmanager

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.checkin import services as checkin
from app.checkin.models import CheckIn
from app.checkin.tickets import qr_png
from app.events import services as events
from app.events.models import Session as EventSession
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.checkin.helpers import series_happening_now
from tests.conftest import PASSWORD, create_user
from tests.registration.factories import make_series

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SCAN_TIMEOUT = 20_000  # ms: camera start and the first decodes on a busy 2-core CI machine


def write_y4m(secret: str, path) -> str:
    """A one-frame 640×480 video of the ticket's QR code as the ticket PNG draws it."""
    modules = Image.open(io.BytesIO(qr_png(secret, box_size=1))).width
    qr = Image.open(io.BytesIO(qr_png(secret, box_size=440 // modules))).convert("L")
    canvas = Image.new("L", (640, 480), 255)
    canvas.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    uv = b"\x80" * (320 * 240)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        f.write(b"FRAME\n" + canvas.tobytes() + uv + uv)
    return str(path)


@pytest.fixture
def camera_phone(browser_type, browser_type_launch_args, live_server, tmp_path):
    """camera_phone(secret) -> a logged-out phone page whose camera shows that ticket."""
    opened = []

    @contextmanager
    def launch(secret):
        video = write_y4m(secret, tmp_path / f"ticket-{len(opened)}.y4m")
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
        opened.append(browser)
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            base_url=live_server,
        )
        page = context.new_page()
        page.console_messages = []
        page.on("console", lambda m: page.console_messages.append((m.type, m.text)))
        try:
            yield page
        finally:
            context.close()

    yield launch
    for browser in opened:
        browser.close()


def log_in(page, email):
    """Through the login form, without drawing it (the browser tests of accounts do that)."""
    requests = page.context.request
    token = CSRF.search(requests.get("/login").text()).group(1)
    response = requests.post(
        "/login", form={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.ok and "/login" not in response.url


def open_scanner(page, world, session_id):
    page.goto(f"/orgs/{world['org']}/checkin/sessions/{session_id}")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")


def start_scanning(page):
    page.locator("#scan-toggle").click()
    return page.locator("#scanner")


def expect_verdict(page, status):
    """The verdict of the first read of the camera's ticket (kept after the screen is gone)."""
    try:
        expect(page.locator("#scanner")).to_have_attribute(
            "data-last-status", status, timeout=SCAN_TIMEOUT
        )
    except AssertionError as exc:
        state = page.evaluate(
            "() => { const s = window.KakawariScanner.page; return {decodes: s.decodes,"
            " misses: s.misses, firstDecodeMs: s.firstDecodeMs, lastError: s.lastError,"
            " camera: document.getElementById('scanner').dataset.camera}; }"
        )
        raise AssertionError(f"{exc}\nscanner: {state}\nconsole: {page.console_messages}") from None


def console_errors(page):
    return [text for kind, text in page.console_messages if kind == "error"]


def registered(series, email, *, mode="venue", name="山田 花子", furigana="やまだ はなこ", **kw):
    user = create_user(email, name=name, furigana=furigana)
    r = reg.register(series, user, mode=mode, consent=True, **kw)
    return db.session.get(Registration, r.id)


def ticket_of(registration):
    secret = checkin.issue_ticket(registration).secret
    db.session.commit()
    return secret


def checkins_of(registration_id):
    return db.session.scalars(
        select(CheckIn).where(CheckIn.registration_id == registration_id)
    ).all()


def test_a_ticket_is_scanned_and_the_person_checked_in(app, world, camera_phone):
    """Green: registered online, came to the venue, with an answer shown at check-in."""
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("hybrid", 5, 5)])
        events.set_questions(
            series, [{"kind": "text", "label": "食事の配慮", "show_at_checkin": True}]
        )
        db.session.commit()
        question_id = series.questions[0].id
        r = registered(
            series,
            "misaki@example.jp",
            mode="online",
            name="佐藤 美咲",
            furigana="さとう みさき",
            answers={str(question_id): "ベジタリアン"},
        )
        secret, session_id, registration_id = ticket_of(r), series.sessions[0].id, r.id

    with camera_phone(secret) as page:
        log_in(page, world["emails"]["staff"])
        open_scanner(page, world, session_id)
        scans = []
        page.on(
            "request",
            lambda request: (
                request.method == "POST"
                and request.url.endswith("/checkins")
                and scans.append(request)
            ),
        )
        started = time.monotonic()
        start_scanning(page)
        expect_verdict(page, "ok")
        read_ms, frame_ms = page.evaluate(
            "[window.KakawariScanner.page.firstDecodeMs, window.KakawariScanner.page.frameMs]"
        )
        print(f"tap to green {time.monotonic() - started:.2f} s: camera on and read {read_ms} ms")
        print(f"decoding a frame: {sorted(frame_ms)[len(frame_ms) // 2]} ms (median)")
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(page.locator("#verdict-name")).to_have_text("佐藤 美咲")
        expect(page.locator("#verdict-furigana")).to_have_text("さとう みさき")
        expect(page.locator("#verdict-warning")).to_be_visible()
        expect(page.locator("#verdict-answers")).to_contain_text("ベジタリアン")
        # gone by itself, and the counter and the recent list show the person
        expect(verdict).to_be_hidden(timeout=4000)
        expect(page.locator("#count-checked-in")).to_have_text("1")
        expect(page.locator("#recent")).to_contain_text("佐藤 美咲")
        # the ticket is still in front of the camera: the same person, not scanned again
        assert len(scans) == 1
        assert console_errors(page) == []  # e.g. no Content-Security-Policy violations

    with app.app_context():
        (row,) = checkins_of(registration_id)
        staff = db.session.get(User, world["staff"])
        assert (row.session_id, row.staff_id, row.source) == (session_id, staff.id, "scan")
        assert row.mode_changed and row.device_id


def test_an_already_checked_in_ticket_is_yellow_with_when_and_by_whom(app, world, camera_phone):
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        r = registered(series, "kenta@example.jp")
        secret, session = ticket_of(r), series.sessions[0]
        owner = db.session.get(User, world["owner"])
        checkin.decide(session, owner, secret=secret, nonce="first-scan")
        db.session.commit()  # services flush; the caller commits
        session_id, registration_id = session.id, r.id

    with camera_phone(secret) as page:
        log_in(page, world["emails"]["staff"])
        open_scanner(page, world, session_id)
        start_scanning(page)
        expect_verdict(page, "already_checked_in")
        expect(page.locator("#verdict-message")).to_contain_text("石倉 陽子")  # the owner
        expect(page.locator("#verdict-name")).to_have_text("山田 花子")

    with app.app_context():
        assert len(checkins_of(registration_id)) == 1


def test_a_ticket_for_another_session_is_red_with_the_reason(app, world, camera_phone):
    with app.app_context():
        today = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        other = make_series(world["org"], title="別の講座", sessions=[("venue", 5, None)])
        r = registered(other, "taro@example.jp")
        secret, session_id, registration_id = ticket_of(r), today.sessions[0].id, r.id

    with camera_phone(secret) as page:
        log_in(page, world["emails"]["staff"])
        open_scanner(page, world, session_id)
        start_scanning(page)
        expect_verdict(page, "rejected")
        # staff of the organisation are told which of its series the ticket is for
        expect(page.locator("#verdict-message")).to_have_text(
            "別の講座「別の講座」のチケットです。"
        )

    with app.app_context():
        assert checkins_of(registration_id) == []


def test_offline_scans_are_kept_through_a_reload_and_synced_exactly_once(app, world, camera_phone):
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        r = registered(series, "hanako@example.jp")
        secret, session_id, registration_id = ticket_of(r), series.sessions[0].id, r.id

    with camera_phone(secret) as page:
        log_in(page, world["emails"]["staff"])
        open_scanner(page, world, session_id)
        scanner = page.locator("#scanner")
        # the list is in IndexedDB and the page's files are with the service worker
        expect(scanner).to_have_attribute("data-list-size", "1")
        expect(scanner).to_have_attribute("data-offline-ready", "true", timeout=10_000)

        page.context.set_offline(True)
        page.reload()  # the service worker serves the page without the network
        expect(scanner).to_have_attribute("data-ready", "true")
        expect(page.locator("#net-state")).to_have_attribute("data-online", "false")
        start_scanning(page)
        expect_verdict(page, "ok")
        expect(page.locator("#verdict-offline")).to_be_visible()
        expect(page.locator("#queue-length")).to_have_text("1")
        expect(page.locator("#recent")).to_contain_text("山田 花子")

        page.reload()  # still offline: the queue is on the phone, not in the page
        expect(scanner).to_have_attribute("data-ready", "true")
        expect(page.locator("#queue-length")).to_have_text("1")
        with app.app_context():
            assert checkins_of(registration_id) == []

        # shown to the second, kept to the millisecond: all of the above may take under a second
        last_sync = page.locator("#last-sync").get_attribute("data-synced-at")
        assert last_sync
        synced = []
        page.on(
            "request",
            lambda request: (
                request.url.endswith("/checkins/sync") and synced.append(request.post_data_json)
            ),
        )
        page.context.set_offline(False)
        expect(page.locator("#queue-length")).to_have_text("0", timeout=15_000)
        expect(page.locator("#last-sync")).not_to_have_attribute("data-synced-at", last_sync)
        expect(page.locator("#last-sync")).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
        expect(page.locator("#count-checked-in")).to_have_text("1")
        page.locator("#sync-now").click()  # a second sync has nothing left to send
        page.wait_for_timeout(500)
        assert len(synced) == 1 and len(synced[0]["scans"]) == 1
        scan = synced[0]["scans"][0]
        assert scan["secret"] == secret and scan["offline_verdict"] == "ok"
        assert scan["device_id"] and scan["nonce"] and "+" in scan["scanned_at"][19:]

    with app.app_context():
        (row,) = checkins_of(registration_id)
        assert row.source == "offline" and row.nonce == scan["nonce"]


def test_the_phone_decides_as_the_server_does(app, world, phone):
    """Offline verdicts from the downloaded list match decide() for every kind of place."""
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("hybrid", 1, 5), ("venue", 5, None)])
        session = series.sessions[0]
        people = {
            "venue": registered(series, "a@example.jp"),
            "waitlisted": registered(series, "b@example.jp"),  # session 1's one seat is taken
            "online": registered(series, "c@example.jp", mode="online"),
            "cancelled": registered(series, "d@example.jp", mode="online"),
            "already": registered(series, "e@example.jp", mode="online"),
        }
        reg.cancel(people["cancelled"], session_id=session.id)
        secrets = {key: ticket_of(r) for key, r in people.items()}
        staff = db.session.get(User, world["staff"])
        checkin.decide(session, staff, secret=secrets["already"])
        db.session.commit()  # services flush; the caller commits
        secrets |= {"unknown": "A" * 27, "unreadable": "https://example.com/not-a-ticket"}
        session_id = session.id

    log_in(phone, world["emails"]["staff"])
    open_scanner(phone, world, session_id)
    expect(phone.locator("#scanner")).to_have_attribute("data-list-size", "5")
    local = {
        key: phone.evaluate(
            "async (s) => { const v = await window.KakawariScanner.localVerdict(s);"
            " return [v.status, v.reason, v.warning || null]; }",
            secret,
        )
        for key, secret in secrets.items()
    }
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        staff = db.session.get(User, world["staff"])
        server = {}
        for key, secret in secrets.items():
            v = checkin.decide(session, staff, secret=secret)
            db.session.commit()
            server[key] = [v.status, v.reason and v.reason.value, v.warning]
    expected = {
        "venue": ["ok", None, None],
        "waitlisted": ["rejected", "waitlisted", None],
        "online": ["ok", None, "registered_online"],
        "cancelled": ["rejected", "cancelled", None],
        "already": ["already_checked_in", None, None],
        "unknown": ["rejected", "unknown_ticket", None],
        "unreadable": ["rejected", "unreadable", None],
    }
    assert local == expected
    assert server == expected


def test_a_person_is_found_by_furigana_checked_in_by_hand_and_undone(app, world, phone):
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        r = registered(series, "ken@example.jp", name="佐藤 健", furigana="さとう けん")
        registered(series, "misaki@example.jp", name="佐藤 美咲", furigana="さとう みさき")
        session_id, registration_id = series.sessions[0].id, r.id

    log_in(phone, world["emails"]["staff"])
    open_scanner(phone, world, session_id)
    phone.locator("#search-q").fill("さとう け")
    results = phone.locator("#search-results li")
    expect(results).to_have_count(1)
    results.get_by_role("button").click()
    expect(phone.locator("#verdict")).to_have_attribute("data-status", "ok")
    expect(phone.locator("#verdict-name")).to_have_text("佐藤 健")
    phone.locator("#verdict").click()  # a tap dismisses it
    expect(phone.locator("#verdict")).to_be_hidden()
    expect(results.locator(".badge-ok")).to_be_visible()  # the search shows them as in
    expect(phone.locator("#count-checked-in")).to_have_text("1")
    with app.app_context():
        (row,) = checkins_of(registration_id)
        assert row.source == "manual" and row.undone_at is None

    phone.once("dialog", lambda dialog: dialog.accept())  # "undo the check-in of 佐藤 健?"
    phone.locator("#recent").get_by_role("button").click()
    expect(phone.locator("#count-checked-in")).to_have_text("0")
    expect(phone.locator("#recent li")).to_have_count(0)
    expect(results.get_by_role("button")).to_be_visible()  # can be checked in again
    with app.app_context():
        (row,) = checkins_of(registration_id)
        assert row.undone_at is not None and row.undone_by_id == world["staff"]
    assert phone.console_errors == []


def test_an_offline_admission_of_someone_already_in_is_flagged_after_sync(app, world, phone):
    """Offline, by name from the downloaded list; meanwhile another phone let them in online."""
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        r = registered(series, "ken@example.jp", name="佐藤 健", furigana="さとう けん")
        secret, session_id, registration_id = ticket_of(r), series.sessions[0].id, r.id

    log_in(phone, world["emails"]["staff"])
    open_scanner(phone, world, session_id)
    expect(phone.locator("#scanner")).to_have_attribute("data-list-size", "1")
    phone.context.set_offline(True)
    phone.locator("#search-q").fill("けん")  # searched in the list on the phone
    phone.locator("#search-results").get_by_role("button").click()
    expect(phone.locator("#verdict")).to_have_attribute("data-status", "ok")
    expect(phone.locator("#verdict-offline")).to_be_visible()
    expect(phone.locator("#queue-length")).to_have_text("1")

    with app.app_context():
        session = db.session.get(EventSession, session_id)
        owner = db.session.get(User, world["owner"])
        assert checkin.decide(session, owner, secret=secret).status == "ok"
        db.session.commit()  # services flush; the caller commits

    phone.context.set_offline(False)
    expect(phone.locator("#queue-length")).to_have_text("0", timeout=15_000)
    expect(phone.locator("#recent .person-note.duplicate")).to_be_visible()
    expect(phone.locator("#count-duplicates")).to_be_visible()
    expect(phone.locator("#count-checked-in")).to_have_text("1")
    with app.app_context():
        rows = checkins_of(registration_id)
        assert len(rows) == 2
        first, flagged = sorted(rows, key=lambda c: c.duplicate_of_id or 0)
        assert flagged.duplicate_of_id == first.id and flagged.source == "offline"
