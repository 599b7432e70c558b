"""Profile, password reset by email, API tokens on the profile page, deleting the account."""

import re

from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.extensions import db
from tests.conftest import PASSWORD, create_org, create_user, login, post_form


def test_profile_edit_validates_and_saves(client, ctx):
    user = create_user("hanako@example.jp")
    login(client, user.email)
    bad = post_form(
        client,
        "/account",
        {"name": "山田 花子", "furigana": "hanako", "prefecture": "13", "locale": "ja"},
        token_from="/account",
    )
    assert 'id="furigana-error"' in bad.get_data(as_text=True)
    ok = post_form(
        client,
        "/account",
        {
            "name": "山田 花",
            "furigana": "ﾔﾏﾀﾞ ﾊﾅ",
            "prefecture": "32",
            "relations": ["work"],
            "locale": "en",
        },
        token_from="/account",
    )
    assert ok.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.furigana, user.prefecture, user.relations, user.locale) == (
        "山田 花",
        "やまだ はな",
        "32",
        ["work"],
        "en",
    )
    assert "Your account" in client.get("/account").get_data(as_text=True)  # now in English


def test_password_reset_by_email_link_works_once(app, client, ctx, smtp):
    create_user("hanako@example.jp")
    response = post_form(
        client, "/password/forgot", {"email": "hanako@example.jp"}, token_from="/password/forgot"
    )
    assert response.status_code == 302
    assert len(smtp) == 1 and smtp[0]["To"] == "hanako@example.jp"
    body = smtp[0].get_body().get_content()
    link = re.search(r"http://localhost(/password/reset/\S+)", body).group(1)
    page = client.get(link)
    assert page.status_code == 200
    done = post_form(
        client,
        link,
        {"password": "brand-new-pass-1", "password_confirm": "brand-new-pass-1"},
        token_from=link,
    )
    assert done.status_code == 302
    assert login(app.test_client(), "hanako@example.jp", "brand-new-pass-1")
    again = client.get(link)  # the link stops working once used
    assert again.status_code == 302 and "/password/forgot" in again.headers["Location"]


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(client, smtp):
    response = post_form(
        client, "/password/forgot", {"email": "nobody@example.jp"}, token_from="/password/forgot"
    )
    assert response.status_code == 302
    assert smtp == []


def test_tampered_or_expired_reset_link_is_refused(app, client, ctx, monkeypatch):
    from app.accounts.services import make_reset_token

    user = create_user("hanako@example.jp")
    token = make_reset_token(user)
    assert client.get(f"/password/reset/{token}x").status_code == 302
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert client.get(f"/password/reset/{token}").status_code == 302


def test_tokens_are_created_listed_and_revoked_on_the_profile_page(client, ctx):
    user = create_user("hanako@example.jp")
    login(client, user.email)
    page = post_form(client, "/account/tokens", {"name": "受付スクリプト"}, token_from="/account")
    secret = re.search(r'value="(kkw_[^"]+)"', page.get_data(as_text=True)).group(1)
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash != secret and secret not in str(token.__dict__)
    listing = client.get("/account").get_data(as_text=True)
    assert "受付スクリプト" in listing and token.prefix in listing
    post_form(client, f"/account/tokens/{token.id}/revoke", token_from="/account")
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_cannot_revoke_someone_elses_token(client, ctx):
    from app.accounts.services import create_api_token

    other = create_user("other@example.jp")
    token, _secret = create_api_token(other, "theirs")
    db.session.commit()
    login(client, create_user("hanako@example.jp").email)
    post_form(client, f"/account/tokens/{token.id}/revoke", token_from="/account")
    db.session.refresh(token)
    assert token.revoked_at is None


def test_delete_account_anonymises_and_logs_out(client, ctx):
    user = create_user("hanako@example.jp", prefecture="32")
    login(client, user.email)
    wrong = post_form(
        client, "/account/delete", {"password": "not-my-password"}, token_from="/account/delete"
    )
    assert 'id="password-error"' in wrong.get_data(as_text=True)
    done = post_form(
        client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete"
    )
    assert done.status_code == 302
    db.session.refresh(user)
    assert user.deleted_at is not None
    assert "hanako" not in user.email and user.name != "山田 花子" and user.furigana == ""
    assert user.password_hash is None
    assert user.prefecture == "32"  # kept, anonymous, for the statistics
    assert client.get("/account").status_code == 302
    # the address is free again
    assert db.session.scalar(select(User).where(User.email == "hanako@example.jp")) is None


def test_last_owner_cannot_delete_account(client, ctx):
    user = create_user("hanako@example.jp")
    create_org("雲南市", owner=user)
    login(client, user.email)
    response = post_form(
        client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete"
    )
    assert "雲南市" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.deleted_at is None
