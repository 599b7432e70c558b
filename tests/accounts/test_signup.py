"""Signing up on the page: validation beside each field, kana, prefecture, consent."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import create_user, post_form

GOOD = {
    "email": "Hanako.Yamada@Example.jp",
    "password": "shimane-2026-ok",
    "name": "山田　花子",
    "furigana": "ヤマダ　ハナコ",
    "prefecture": "13",
    "relations": ["origin", "interest"],
    "consent": "y",
}


def test_signup_creates_account_logs_in_and_stores_consent(app, client, ctx):
    response = post_form(client, "/signup", GOOD, token_from="/signup")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "hanako.yamada@example.jp"
    assert user.name == "山田 花子"
    assert user.furigana == "やまだ はなこ"  # katakana and full-width space normalised
    assert user.prefecture == "13" and user.prefecture_name == "東京都"
    assert user.relations == ["origin", "interest"]
    assert user.consent_at is not None and user.consent_version
    # scrypt at the cost the app is configured for (the suite's lower one; see the next test)
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    home = client.get("/").get_data(as_text=True)
    assert "山田 花子" in home
    assert db.session.scalar(select(AuditEvent.event)) == "account.created"


def test_outside_the_test_suite_passwords_are_hashed_at_werkzeugs_full_cost(app, ctx, monkeypatch):
    """The suite hashes at a lower scrypt cost to save time; the app as run must not."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from app.core.secrets import check_password, hash_password
    from config import Config

    assert generate_password_hash("x").split("$")[0] == Config.PASSWORD_HASH_METHOD
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", Config.PASSWORD_HASH_METHOD)
    stored = hash_password(GOOD["password"])
    assert stored.startswith("scrypt:32768:8:1$")
    assert check_password_hash(stored, GOOD["password"])
    assert check_password(stored, GOOD["password"])
    assert not check_password(stored, "another-password") and not check_password(None, "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "有効なメールアドレス"),
        ("password", "short", "10文字以上"),
        ("name", "   ", "氏名を入力"),
        ("furigana", "Yamada Hanako", "ひらがなまたはカタカナ"),
        ("furigana", "山田はなこ", "ひらがなまたはカタカナ"),
        ("prefecture", "99", "47都道府県"),
        ("relations", ["origin", "alien"], "一覧"),
        ("consent", None, "プライバシーポリシー"),
    ],
)
def test_signup_rejects_bad_field_with_message_beside_it(client, ctx, field, value, message):
    data = dict(GOOD)
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    response = post_form(client, "/signup", data, token_from="/signup")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html or (field == "relations" and "error" in html)
    assert message in html
    assert db.session.scalar(select(User)) is None


def test_signup_in_english_shows_english_errors(client, ctx):
    data = dict(GOOD, furigana="Yamada")
    response = post_form(
        client, "/signup", data, token_from="/signup", headers={"Accept-Language": "en"}
    )
    assert "Write the reading in hiragana or katakana" in response.get_data(as_text=True)


def test_signup_with_taken_email_says_so(client, ctx):
    create_user("hanako.yamada@example.jp")
    response = post_form(client, "/signup", GOOD, token_from="/signup")
    assert "既に" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_signup_without_csrf_token_is_refused(client, ctx):
    response = client.post("/signup", data=GOOD)
    assert response.status_code == 400
    assert db.session.scalar(select(User)) is None


def test_signup_page_lists_47_prefectures_and_labels_every_field(client):
    html = client.get("/signup").get_data(as_text=True)
    assert html.count('<option value="') == 47 + 1  # + the "choose" option
    for field in ("email", "password", "name", "furigana", "prefecture"):
        assert f'for="{field}"' in html
    assert re.search(r'<label class="check">\s*<input[^>]*id="consent"', html)


def test_signups_are_rate_limited_per_address(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUPS_PER_ADDRESS", "2 per hour")
    for i in range(2):
        ok = post_form(
            app.test_client(), "/signup", dict(GOOD, email=f"a{i}@example.jp"), token_from="/signup"
        )
        assert ok.status_code == 302
    blocked = post_form(
        app.test_client(), "/signup", dict(GOOD, email="c@example.jp"), token_from="/signup"
    )
    assert blocked.status_code == 429
    assert "しばらく" in blocked.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2
