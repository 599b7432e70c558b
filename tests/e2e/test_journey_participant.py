"""A participant's whole journey on a phone (390×844), by clicking only: from the home page to a
series, 申し込む (the login page says why), sign up and come back to the form, register choosing
a mode per session, the QR ticket from マイページ, the live room from マイページ once it is open, a
chat message, 参加履歴 and the 修了証. One address is opened; after it only visible links and
buttons are clicked. Each step leaves a screenshot in test-results/journeys/<test>/ and axe-core
finds no violation of any level on any page.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.attendance.test_history import completed_online_series
from tests.conftest import create_user
from tests.e2e.journeys import AXE, PHONE, Journey
from tests.e2e.test_live_e2e import session_cookie
from tests.registration.factories import make_series


def pick(page, question: str, mode: str) -> None:
    """Choose a mode in a session's group of radio buttons (their names add the places left)."""
    group = page.get_by_role("group", name=question, exact=True)
    group.get_by_role("radio", name=re.compile(f"^{mode}")).check()


@pytest.fixture
def hybrid_series(app, world):
    """しまね関係人口ゼミ: session 1 hybrid in a week, session 2 hybrid starting in 5 minutes
    (its live room is open)."""
    with app.app_context():
        series = make_series(
            world["org"],
            title="しまね関係人口ゼミ 2026",
            prefecture="32",
            sessions=[("hybrid", 40, 200), ("hybrid", 40, 200)],
        )
        first, soon = series.sessions
        soon.title = "第2回 オンライン交流会"
        soon.starts_at = utcnow() + timedelta(minutes=5)
        soon.ends_at = soon.starts_at + timedelta(hours=2)
        for session in series.sessions:
            session.stream_url = "https://meet.jit.si/kakawari-journey"  # nothing to fetch
        db.session.commit()
        return {"org": world["org"], "first": first.id, "soon": soon.id}


def test_a_participant_on_a_phone_goes_from_the_home_page_to_the_certificate_by_clicking(
    app, browser, live_server, hybrid_series
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    context = browser.new_context(
        **PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True, accept_downloads=True
    )
    page = context.new_page()
    journey = Journey(page, "test_journey_participant")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")

        page.get_by_role("main").get_by_role("link", name="連続講座を探す").click()
        journey.step("series-list")
        page.get_by_role("link", name="しまね関係人口ゼミ 2026").click()
        journey.step("series")
        page.get_by_role("link", name="申し込む", exact=True).click()

        # Not logged in: the login page says why, and sign-up keeps the way back.
        expect(page.get_by_text("申し込むにはログインしてください")).to_be_visible()
        journey.step("login-says-why")
        page.get_by_role("main").get_by_role("link", name="アカウントを作成").click()
        journey.step("signup")
        page.get_by_label("メールアドレス").fill("tokyo.misaki@example.jp")
        page.get_by_label("パスワード", exact=True).fill("shimane-2026-ok")
        page.get_by_label("氏名").fill("東京 美咲")
        page.get_by_label("ふりがな").fill("とうきょう みさき")
        page.get_by_label("お住まいの都道府県").select_option(label="東京都")
        page.get_by_label("関心").check()
        page.get_by_label(re.compile("プライバシーポリシー")).check()
        page.get_by_role("button", name="新規登録").click()

        # Back at the registration form: a mode for each session.
        expect(page.get_by_test_id("submit-registration")).to_be_visible()
        journey.step("register-form")
        pick(page, "第1回 の参加方法", "会場")
        pick(page, "第2回 オンライン交流会 の参加方法", "オンライン")
        page.get_by_label(re.compile("プライバシーポリシーに同意")).check()
        page.get_by_role("button", name="申し込む").click()
        expect(page.locator("[data-outcome=confirmed]")).to_be_visible()
        journey.step("confirmation")

        # Months of taking part, condensed: a series this person has completed.
        with app.app_context():
            person = db.session.scalar(select(User).where(User.email == "tokyo.misaki@example.jp"))
            done_id = completed_online_series(hybrid_series["org"], person, title="春の講座").id

        journey.menu("マイページ")
        expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
        journey.step("mypage")
        upcoming = page.get_by_test_id(f"upcoming-{hybrid_series['first']}")
        upcoming.get_by_role("link", name="受付用QRコードを表示").click()
        expect(page.get_by_role("img", name=re.compile("QR"))).to_be_visible()
        journey.step("ticket")

        journey.menu("マイページ")
        soon = page.get_by_test_id(f"upcoming-{hybrid_series['soon']}")
        soon.get_by_role("link", name="視聴ページに入る").click()
        expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
        page.get_by_label("メッセージ").fill("東京から参加しています")
        page.get_by_role("button", name="送信").click()
        expect(
            page.locator("#chat-list .live-text", has_text="東京から参加しています")
        ).to_be_visible()
        journey.step("live-room-chat")

        journey.menu("参加履歴")
        expect(page.get_by_test_id(f"progress-{done_id}")).to_contain_text("修了")
        journey.step("history")
        with page.expect_download() as download:
            page.get_by_test_id(f"certificate-{done_id}").click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()


def test_the_room_button_switches_on_at_the_opening_time_without_a_reload(
    app, browser, live_server, world
):
    with app.app_context():
        series = make_series(world["org"], sessions=[("online", None, 5)], room_opens_minutes=15)
        session = series.sessions[0]
        session.starts_at = utcnow() + timedelta(minutes=15, seconds=4)
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        person = create_user("soon@example.jp")
        reg.register(series, person, mode="online", consent=True)
        db.session.commit()
        session_id = session.id
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    name, value = app.config["SESSION_COOKIE_NAME"], session_cookie(app, "soon@example.jp")
    context.add_cookies([{"name": name, "value": value, "url": live_server}])
    page = context.new_page()
    try:
        page.goto("/me")
        journey = Journey(page, "test_room_countdown")
        item = page.get_by_test_id(f"upcoming-{session_id}")
        waiting = item.get_by_role("button", name="視聴ページに入る")
        expect(waiting).to_be_disabled()
        expect(item.get_by_role("link", name="視聴ページに入る")).to_be_hidden()
        expect(item.get_by_role("timer")).to_contain_text("開場まであと0分")
        journey.step("waiting")
        link = item.get_by_role("link", name="視聴ページに入る")
        expect(link).to_be_visible(timeout=10_000)
        expect(waiting).to_be_hidden()
        journey.step("open")
        link.click()
        expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    finally:
        context.close()
