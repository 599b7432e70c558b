"""An organiser, on a phone and on a laptop, makes an API token for the venue's scanner by
clicking from the home page (アカウント → APIトークン): chooses the check-in scope and 30 days,
sees the secret once with what it may do, follows the link to the API's docs (how to
authenticate), and finds the token listed with its scope and expiry. The token then scans but
cannot create anything else. Screenshots: test-results/journeys/api-token-<device>/."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import AXE, LAPTOP, PHONE, Journey


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_an_organiser_makes_a_check_in_token_by_clicking(app, world, browser, live_server, device):
    screen = {"phone": PHONE, "laptop": LAPTOP}[device]
    context = browser.new_context(**screen, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, f"api-token-{device}")
    page.goto("/")
    journey.step("home")
    journey.log_in(world["emails"]["organizer"])
    journey.menu("アカウント")
    journey.step("account")

    tokens = page.locator("#tokens")
    tokens.get_by_label("トークン名").fill("受付用スマホ")
    tokens.get_by_label("できること").select_option(value="checkin")
    tokens.get_by_label("有効期間").select_option(value="30")
    tokens.get_by_role("button", name="トークンを作成").click()
    expect(page.get_by_role("heading", name="APIトークンを作成しました")).to_be_visible()
    expect(page.get_by_text("受付", exact=True)).to_be_visible()
    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("kkw_")
    journey.step("token-created")

    page.get_by_role("link", name="APIの使い方").click()
    expect(page.get_by_role("heading", name="認証")).to_be_visible()
    expect(page.locator("#authentication")).to_contain_text("Authorization: Bearer")
    # Swagger UI's own markup fails axe (nested controls, a second main landmark): our part of
    # the page, how to authenticate, is checked alone
    page.wait_for_load_state("networkidle")
    journey.step_no += 1
    page.screenshot(
        path=str(journey.folder / f"{journey.step_no:02d}-api-docs.png"), full_page=True
    )
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("() => axe.run('#authentication')")
    assert found["violations"] == [], found["violations"]

    journey.menu("アカウント")
    listed = page.locator("#tokens li", has_text="受付用スマホ")
    expect(listed).to_contain_text("受付")
    expect(listed).to_contain_text(re.compile("有効期限"))
    journey.step("token-listed")

    auth = {"Authorization": f"Bearer {secret}"}
    assert page.request.get("/api/v1/me", headers=auth).status == 200
    refused = page.request.post("/api/v1/orgs", data={"name": "x"}, headers=auth)
    assert refused.status == 403 and refused.json()["error"]["code"] == "token_scope"
    context.close()
