"""関わり証明 on a phone: from the home page, log in, マイページ, the record of this 年度, a
verification link created, and the page it opens (what a municipality sees)."""

from playwright.sync_api import expect

from tests.attendance.test_history import two_orgs  # noqa: F401
from tests.e2e.journeys import AXE, PHONE, Journey
from tests.records.clock import into_one_year


def test_a_person_creates_a_verification_link_and_opens_it(
    app,
    browser,
    live_server,
    world,
    two_orgs,  # noqa: F811
    monkeypatch,
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    monkeypatch.setitem(app.config, "BASE_URL", live_server)  # the link is absolute
    with app.app_context():
        into_one_year()  # in the first days of April, the sessions all in the year just ended
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_record_e2e")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")
        journey.log_in(world["emails"]["participant"])
        journey.menu("マイページ")
        journey.step("mypage")

        page.get_by_test_id("mypage-record").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("関わり証明")
        rows = page.locator(".record-activity")
        expect(rows).to_have_count(2)  # A's venue and online sessions; B's partial is not one
        expect(page.get_by_test_id("record-total")).to_contain_text("活動 2 件")
        journey.step("record")

        page.get_by_test_id("record-create-link").click()
        link = page.get_by_test_id("record-link-url")
        expect(link).to_have_count(1)
        expect(page.locator(".record-link img")).to_be_visible()  # the QR code
        journey.step("link-created")

        link.click()
        expect(page.get_by_test_id("record-state")).to_contain_text("現在の出欠記録")
        expect(page.locator(".record-activity")).to_have_count(2)
        journey.step("verification")
    finally:
        context.close()
