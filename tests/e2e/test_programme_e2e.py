"""委託元 on a phone and a laptop: 島根県's viewer logs in from the home page, clicks through
マイページ to the programme figures, sees two organisations side by side with their sum ("<5"
for small groups, no names), opens a series' figures and its survey distributions."""

import pytest
from playwright.sync_api import expect

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
