"""Logging in and out, failed-login limits, sessions ending on password change."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import PASSWORD, create_user, login, post_form


def test_login_then_logout(client, ctx):
    create_user("hanako@example.jp")
    response = login(client, "HANAKO@example.jp ")
    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200
    post_form(client, "/logout")
    assert client.get("/account").status_code == 302


def test_login_redirects_only_to_same_site_next(client, ctx):
    create_user("hanako@example.jp")
    token_page = "/login?next=https://evil.example/"
    response = post_form(
        client,
        token_page,
        {"email": "hanako@example.jp", "password": PASSWORD},
        token_from="/login",
    )
    assert response.headers["Location"] == "/"
    client.get("/")
    post_form(client, "/logout")
    response = post_form(
        client,
        "/login?next=/orgs",
        {"email": "hanako@example.jp", "password": PASSWORD},
        token_from="/login",
    )
    assert response.headers["Location"] == "/orgs"


def test_wrong_password_is_refused_and_audited(client, ctx):
    user = create_user("hanako@example.jp")
    response = post_form(
        client, "/login", {"email": user.email, "password": "wrong-password"}, token_from="/login"
    )
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "auth.login_failed"))
    assert event.subject_user_id == user.id and event.ip == "127.0.0.1"


def test_failed_logins_are_limited_per_account(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    create_user("hanako@example.jp")
    client = app.test_client()
    for _ in range(3):
        post_form(
            client,
            "/login",
            {"email": "hanako@example.jp", "password": "nope-nope-1"},
            token_from="/login",
        )
    blocked = post_form(
        client, "/login", {"email": "hanako@example.jp", "password": PASSWORD}, token_from="/login"
    )
    assert blocked.status_code == 429
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.event == "auth.login_rate_limited")
    )
    # Another account from the same address is not blocked by this account's failures.
    create_user("taro@example.jp")
    assert login(app.test_client(), "taro@example.jp").status_code == 302


def test_failed_logins_are_limited_per_address(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "4 per 15 minutes")
    create_user("hanako@example.jp")
    client = app.test_client()
    for i in range(4):
        post_form(
            client,
            "/login",
            {"email": f"guess{i}@example.jp", "password": "x" * 12},
            token_from="/login",
        )
    blocked = post_form(
        client, "/login", {"email": "hanako@example.jp", "password": PASSWORD}, token_from="/login"
    )
    assert blocked.status_code == 429


def test_successful_logins_never_count_towards_the_limit(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "2 per 15 minutes")
    create_user("hanako@example.jp")
    for _ in range(6):
        assert login(app.test_client(), "hanako@example.jp").status_code == 302


def test_deleted_or_unknown_accounts_cannot_log_in(client, ctx):
    response = post_form(
        client, "/login", {"email": "ghost@example.jp", "password": PASSWORD}, token_from="/login"
    )
    assert response.status_code == 200
    assert client.get("/account").status_code == 302


def test_changing_password_logs_out_other_sessions(app, ctx):
    create_user("hanako@example.jp")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "hanako@example.jp")
    login(laptop, "hanako@example.jp")
    response = post_form(
        laptop,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a-new-password-1",
            "password_confirm": "a-new-password-1",
        },
        token_from="/account/password",
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # this session stays logged in
    assert phone.get("/account").status_code == 302  # the other one is logged out
    assert login(app.test_client(), "hanako@example.jp", "a-new-password-1")


def test_change_password_checks_current_and_confirmation(client, ctx):
    create_user("hanako@example.jp")
    login(client, "hanako@example.jp")
    wrong = post_form(
        client,
        "/account/password",
        {
            "current_password": "not-it-at-all",
            "password": "a-new-password-1",
            "password_confirm": "a-new-password-1",
        },
        token_from="/account/password",
    )
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    mismatch = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a-new-password-1",
            "password_confirm": "different-pass-2",
        },
        token_from="/account/password",
    )
    assert 'id="password_confirm-error"' in mismatch.get_data(as_text=True)
