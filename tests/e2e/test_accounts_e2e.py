"""A new participant on a phone: sign up, log out, log in, switch language; the API docs."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.conftest import PASSWORD, create_user


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def header(page):
    """The header's links and buttons: on a phone behind its menu button, opened first."""
    toggle = page.get_by_role("button", name=re.compile("^(メニュー|Menu)$"))
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page.get_by_role("navigation")


def test_sign_up_on_a_phone_then_log_out_and_in(phone, app):
    phone.goto("/signup")
    assert no_horizontal_scroll(phone)
    phone.get_by_label("メールアドレス").fill("misaki@example.jp")
    phone.get_by_label("パスワード").fill("island-life-2026")
    phone.get_by_label("氏名").fill("佐藤 美咲")
    phone.get_by_label("ふりがな").fill("さとう みさき")
    phone.get_by_label("お住まいの都道府県").select_option(label="東京都")
    phone.get_by_label("出身").check()
    phone.get_by_label("関心").check()
    phone.get_by_role("button", name="新規登録").click()
    # Consent was not given: the error shows beside the checkbox and nothing is created.
    expect(phone.locator("#consent-error")).to_be_visible()
    phone.get_by_label("パスワード").fill("island-life-2026")
    phone.get_by_label("プライバシーポリシーに同意します").check()
    phone.get_by_role("button", name="新規登録").click()
    # Home is now マイページ, greeting the person.
    expect(phone.get_by_role("heading", name="マイページ")).to_be_visible()
    expect(phone.get_by_text("こんにちは、佐藤 美咲 さん")).to_be_visible()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "misaki@example.jp"))
        assert user.relations == ["origin", "interest"] and user.prefecture == "13"

    header(phone).get_by_role("button", name="ログアウト").click()
    header(phone).get_by_role("link", name="ログイン").click()
    phone.get_by_label("メールアドレス").fill("misaki@example.jp")
    phone.get_by_label("パスワード").fill("island-life-2026")
    phone.get_by_role("main").get_by_role("button", name="ログイン").click()
    expect(header(phone).get_by_role("link", name="アカウント")).to_be_visible()
    assert phone.console_errors == []  # e.g. no Content-Security-Policy violations


def test_furigana_error_is_announced_next_to_the_field(phone):
    phone.goto("/signup")
    phone.get_by_label("ふりがな").fill("Sato")
    phone.get_by_role("button", name="新規登録").click()
    field = phone.get_by_label("ふりがな")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert "furigana-error" in described
    expect(phone.locator("#furigana-error")).to_contain_text("ひらがな")


def test_switch_to_english_and_back(phone, app):
    with app.app_context():
        create_user("hanako@example.jp")
    phone.goto("/login")
    header(phone).get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    phone.get_by_label("Email address").fill("hanako@example.jp")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    # The choice made before logging in is kept and stored with the account.
    expect(header(phone).get_by_role("link", name="Account")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "en"
    header(phone).get_by_role("button", name="日本語").click()
    expect(header(phone).get_by_role("link", name="アカウント")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "ja"


def test_api_documentation_page_renders_the_openapi_document(phone):
    phone.goto("/api/v1/docs")
    expect(phone.get_by_text("/api/v1/auth/token").first).to_be_visible(timeout=15000)
    assert phone.console_errors == []
