"""An owner, on a phone and on a laptop, adds a webhook endpoint by clicking from the home
page (主催団体 → the organisation → 設定 → Webhook), sends a test event, and sees it
delivered in the log; the receiver is a real HTTP server on 127.0.0.1. One address is opened,
then only clicks (and the form typed); screenshots: test-results/journeys/webhooks-<device>/.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import LAPTOP, PHONE, Journey
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_an_owner_adds_an_endpoint_by_clicking_and_sends_a_test_event(
    app, world, browser, live_server, receiver, monkeypatch, device
):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_HTTP_HOSTS", ("127.0.0.1",))
    monkeypatch.setitem(app.config, "WEBHOOKS_DELIVERY", "inline")
    screen = {"phone": PHONE, "laptop": LAPTOP}[device]
    context = browser.new_context(**screen, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, f"webhooks-{device}")
    page.goto("/")
    journey.step("home")
    journey.log_in(world["emails"]["owner"])
    journey.menu("主催団体")
    journey.step("organisations")
    page.get_by_role("link", name="しまね関係人口ラボ").click()
    journey.step("organisation")
    page.get_by_role("link", name="設定").click()
    journey.step("settings")
    page.get_by_role("link", name="Webhook").click()
    expect(page.get_by_role("heading", name="Webhook", exact=True)).to_be_visible()
    journey.step("webhooks")

    page.get_by_label("アドレス（URL）").fill(receiver.url)
    page.get_by_label("申込み確定").check()
    page.get_by_label("受付完了").check()
    page.get_by_role("button", name="送信先を追加する").click()
    expect(page.get_by_text("送信先を追加しました。")).to_be_visible()
    expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
    journey.step("endpoint-added")

    page.get_by_role("button", name="テストイベントを送信").click()
    expect(page.get_by_text("テストイベントを送信しました。")).to_be_visible()
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("配信済み")
    journey.step("test-delivered")
    assert receiver.types() == ["webhook.test"]
    context.close()
