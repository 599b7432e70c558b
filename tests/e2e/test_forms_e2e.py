"""Forms in Chromium on a phone (390×844): an empty sign-up answers with every field at once,
focus on the summary that lists them, a summary link takes focus to its field, invalid fields
are drawn in red; on the register form tapping オンライン (or 会場) selects that session.
Each page is checked by axe-core (no violation of any level) and photographed into
test-results/journeys/<test>/."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, create_user
from tests.e2e.journeys import PHONE, Journey
from tests.registration.factories import make_series

DANGER = "rgb(179, 38, 30)"  # --danger in app.css


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def focused(page) -> str:
    """What has focus: the id, or the data attribute naming the summary."""
    return page.evaluate(
        "() => document.activeElement.id || "
        "(document.activeElement.hasAttribute('data-error-summary') ? 'summary' : '')"
    )


def test_an_empty_sign_up_focuses_a_summary_that_leads_to_each_field(phone_page):
    page = phone_page
    j = Journey(page, "forms_signup")
    page.goto("/signup")
    j.step("signup")
    page.get_by_role("main").get_by_role("button", name="新規登録").click()
    page.wait_for_load_state("networkidle")
    assert focused(page) == "summary"
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("heading")).to_have_text("入力内容をご確認ください。")
    links = summary.get_by_role("link")
    assert [link.get_attribute("href") for link in links.all()] == [
        "#email",
        "#password",
        "#name",
        "#furigana",
        "#prefecture",
        "#consent",  # 地域とのかかわり is optional
    ]
    expect(links.nth(1)).to_have_text(re.compile("^パスワード：10文字以上"))
    j.step("signup-errors")

    # every invalid text input and select is drawn in red and says why
    for field in ("email", "password", "name", "furigana", "prefecture"):
        box = page.locator(f"#{field}")
        expect(box).to_have_attribute("aria-invalid", "true")
        assert box.evaluate("e => getComputedStyle(e).borderTopColor") == DANGER, field
        expect(box).to_have_accessible_description(re.compile(".+"))

    summary.get_by_role("link", name=re.compile("^パスワード")).click()
    expect(page.locator("#password")).to_be_focused()
    expect(page.locator("#password")).to_be_in_viewport()
    page.locator("#password").fill("ok-password-12")
    summary.get_by_role("link", name=re.compile("プライバシーポリシーに同意")).click()
    expect(page.locator("#consent")).to_be_focused()
    j.step("summary-link-followed")


def test_a_sign_up_keeps_what_was_typed_and_asks_for_the_password_again(phone_page):
    page = phone_page
    page.goto("/signup")
    main = page.get_by_role("main")
    page.locator("#email").fill("hanako@example.jp")
    page.locator("#password").fill("short")
    page.locator("#name").fill("山田 花子")
    page.locator("#furigana").fill("Yamada")
    main.get_by_role("button", name="新規登録").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#email")).to_have_value("hanako@example.jp")
    expect(page.locator("#name")).to_have_value("山田 花子")
    expect(page.locator("#furigana")).to_have_value("Yamada")
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    assert page.locator("[data-error-summary] a").count() == 4  # password … consent


def test_tapping_a_mode_on_the_register_form_selects_its_session(app, world, phone_page):
    with app.app_context():
        create_user("tap@example.jp", prefecture="32")  # near the venue: 会場 by default
        series = make_series(
            world["org"],
            title="えらべる講座",
            prefecture="32",
            scope="session",
            sessions=[("hybrid", 20, 50), ("hybrid", 20, 50)],
        )
        series_id = series.id
    page = phone_page
    j = Journey(page, "forms_register")
    page.goto("/login")
    page.locator("#email").fill("tap@example.jp")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="ログイン").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"/series/{series_id}/register")
    main = page.get_by_role("main")
    main.get_by_role("button", name="申し込む").click()  # nothing chosen yet
    page.wait_for_load_state("networkidle")
    assert focused(page) == "summary"
    page.locator("[data-error-summary] a[href='#sessions-0']").click()
    expect(page.locator("#sessions-0")).to_be_focused()  # a group's link: its first option
    first = main.get_by_role("checkbox", name="第1回")
    second = main.get_by_role("checkbox", name="第2回")
    expect(first).not_to_be_checked()
    expect(second).not_to_be_checked()

    online = main.get_by_role("group", name=re.compile("^第1回")).get_by_role(
        "radio", name=re.compile("^オンライン")
    )
    online.tap()
    expect(online).to_be_checked()
    expect(first).to_be_checked()
    expect(second).not_to_be_checked()
    # the mode already chosen (the default) selects its session too
    venue = main.get_by_role("group", name=re.compile("^第2回")).get_by_role(
        "radio", name=re.compile("^会場")
    )
    expect(venue).to_be_checked()
    venue.tap()
    expect(second).to_be_checked()
    j.step("register-modes-tapped")

    # submitted without consent: the summary has focus and links the checkbox
    main.get_by_role("button", name="申し込む").click()
    page.wait_for_load_state("networkidle")
    assert focused(page) == "summary"
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    expect(main.get_by_role("checkbox", name="第1回")).to_be_checked()  # kept
    j.step("register-errors")
    page.locator("[data-error-summary] a[href='#consent']").click()
    expect(page.locator("#consent")).to_be_focused()
