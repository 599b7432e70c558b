"""委託元 on a phone and a laptop: 島根県's viewer logs in from the home page, clicks through
マイページ to the programme figures, sees two organisations side by side with their sum ("<5"
for small groups, no names), opens a series' figures and its survey distributions."""

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from tests.e2e.journeys import AXE, LAPTOP, PHONE, Journey
from tests.programme.factories import PLANTED_NAME, PLANTED_TEXT, VIEWER_EMAIL, two_programmes


@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_the_municipality_views_two_organisations_side_by_side(
    app, browser, live_server, world, screen
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    with app.app_context():
        two_programmes(world)
    size = PHONE if screen == "phone" else LAPTOP
    context = browser.new_context(**size, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, f"test_programme_e2e_{screen}")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")
        journey.log_in(VIEWER_EMAIL)
        journey.step("mypage")

        page.get_by_test_id("mypage-programme").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("事業の数値")
        orgs = page.get_by_test_id("programme-org")
        expect(orgs).to_have_text(["うんなん暮らし研究所", "しまね関係人口ラボ"])
        expect(page.get_by_test_id("programme-sum")).to_have_text("合計")
        participants = page.locator('tr[data-kpi="participants"] td')
        expect(participants).to_have_text(["9", "9", "18"])
        expect(page.locator('tr[data-kpi="online_only"] td')).to_have_text(["<5", "<5", "<5"])
        journey.step("programme")

        page.get_by_role("link", name="しまね関係人口ゼミ").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("しまね関係人口ゼミ")
        expect(page.get_by_text("また参加したいですか")).to_be_visible()
        journey.step("series")
        body = page.content()
        assert PLANTED_NAME not in body and PLANTED_TEXT not in body
    finally:
        context.close()


def test_the_owner_invites_a_viewer_and_sees_each_view_logged(app, browser, live_server, world):
    """On a laptop: 主催団体 → the organisation → 委託元（閲覧者）, the programme's series listed,
    an invitation sent; the security log shows the municipality's views."""
    with app.app_context():
        two_programmes(world)
    viewer = app.test_client()
    login(viewer, VIEWER_EMAIL)
    viewer.get("/programme")  # a view to find in the log
    context = browser.new_context(**LAPTOP, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_programme_e2e_owner")
    try:
        page.goto("/")
        journey.log_in(world["emails"]["owner"])
        journey.menu("主催団体")
        page.get_by_role("link", name="しまね関係人口ラボ").click()
        page.get_by_role("link", name="委託元（閲覧者）").click()
        expect(page.get_by_test_id("programme-series")).to_contain_text("しまね関係人口ゼミ")
        expect(page.get_by_test_id("viewer-grant")).to_contain_text("島根県 地域振興部")
        journey.step("viewers")

        page.get_by_label("メールアドレス").fill("kikaku@city.matsue.example.jp")
        page.get_by_label("団体（事業を委託する県・市など）").check()
        page.get_by_role("button", name="招待を送信").click()
        expect(page.get_by_text("kikaku@city.matsue.example.jp").first).to_be_visible()
        journey.step("invited")

        page.get_by_role("link", name="しまね関係人口ラボ").first.click()
        page.get_by_role("link", name="セキュリティログ").click()
        expect(page.locator("table")).to_contain_text("programme.viewed")
        expect(page.locator("table")).to_contain_text("programme.viewer_invited")
        journey.step("security-log")
    finally:
        context.close()
