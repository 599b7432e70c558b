"""Sessions, remember-me cookies and API tokens end when they should: logging out, changing or
resetting the password; failed logins spend one budget whether tried on the page or the API."""

import re

import pytest

from tests.conftest import PASSWORD, create_user, login, post_form

NEW_PASSWORD = "a-new-password-1"


def page_login(client, email, password):
    return post_form(client, "/login", {"email": email, "password": password}, token_from="/login")


def api_login(client, email, password):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def api_token(client, email, password=PASSWORD) -> str:
    response = api_login(client, email, password)
    assert response.status_code == 201, response.json
    return response.json["token"]


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def change_password(client):
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        token_from="/account/password",
    )
    assert response.status_code == 302
    return response


def reset_password(client, smtp, email):
    post_form(client, "/password/forgot", {"email": email}, token_from="/password/forgot")
    body = smtp[-1].get_body().get_content()
    link = re.search(r"http://localhost(/password/reset/\S+)", body).group(1)
    done = post_form(
        client, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}, token_from=link
    )
    assert done.status_code == 302
    return done


def copy_of(client, *names):
    """A second browser holding copies of the first one's cookies (stolen, or a backup)."""
    thief = client.application.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


# --- one failed-login budget for the page and the API ------------------------------------------


@pytest.fixture
def budgets(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "3 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "5 per 15 minutes")


@pytest.mark.parametrize("first", ["page", "api"])
def test_failed_logins_on_the_page_and_the_api_share_one_budget_per_account(
    app, ctx, budgets, first
):
    create_user("hanako@example.jp")
    tries = {"page": page_login, "api": api_login}
    then = "api" if first == "page" else "page"
    for _ in range(3):
        assert tries[first](app.test_client(), "hanako@example.jp", "wrong-pass-1").status_code in (
            200,
            401,
        )
    # even the right password is refused for a while, on the other door too
    assert tries[then](app.test_client(), "hanako@example.jp", PASSWORD).status_code == 429
    # the budget is the account's: another account from this address still logs in
    create_user("taro@example.jp")
    assert tries[then](app.test_client(), "taro@example.jp", PASSWORD).status_code in (201, 302)


@pytest.mark.parametrize("first", ["page", "api"])
def test_failed_logins_on_the_page_and_the_api_share_one_budget_per_address(
    app, ctx, budgets, first
):
    create_user("hanako@example.jp")
    tries = {"page": page_login, "api": api_login}
    then = "api" if first == "page" else "page"
    for i in range(5):
        tries[first](app.test_client(), f"guess{i}@example.jp", "wrong-pass-1")
    assert tries[then](app.test_client(), "hanako@example.jp", PASSWORD).status_code == 429
    # another address is not blocked by this one's guesses
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert tries[then](elsewhere, "hanako@example.jp", PASSWORD).status_code in (201, 302)


# --- logging out ends every session and remember-me cookie -------------------------------------


def test_a_session_cookie_copied_before_logout_no_longer_opens_the_account(app, client, ctx):
    create_user("hanako@example.jp")
    login(client, "hanako@example.jp")
    thief = copy_of(client, "session")
    assert thief.get("/account").status_code == 200  # the copy works while logged in
    post_form(client, "/logout")
    assert thief.get("/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_a_remember_me_cookie_stops_working_once_its_person_logs_out(app, client, ctx):
    create_user("hanako@example.jp")
    response = post_form(
        client,
        "/login",
        {"email": "hanako@example.jp", "password": PASSWORD, "remember": "y"},
        token_from="/login",
    )
    assert response.status_code == 302
    kept = copy_of(client, "remember_token")
    assert kept.get("/account").status_code == 200  # the cookie alone logs in again
    post_form(client, "/logout")
    assert copy_of(kept, "remember_token").get("/account").status_code == 302


def test_logging_out_logs_the_person_out_on_every_device(app, ctx):
    create_user("hanako@example.jp")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "hanako@example.jp")
    login(laptop, "hanako@example.jp")
    post_form(laptop, "/logout")
    assert phone.get("/account").status_code == 302
    assert login(laptop, "hanako@example.jp")  # logging in again works at once
    assert laptop.get("/account").status_code == 200


def test_resetting_the_password_logs_out_every_session(app, client, ctx, smtp):
    create_user("hanako@example.jp")
    phone = app.test_client()
    login(phone, "hanako@example.jp")
    reset_password(client, smtp, "hanako@example.jp")
    assert phone.get("/account").status_code == 302
    assert client.get("/account").status_code == 200  # the browser that reset it is logged in


def test_a_reset_link_outlives_a_logout_elsewhere_and_still_works_once(app, client, ctx, smtp):
    create_user("hanako@example.jp")
    phone = app.test_client()
    login(phone, "hanako@example.jp")
    post_form(client, "/password/forgot", {"email": "hanako@example.jp"}, token_from="/login")
    link = re.search(r"http://localhost(/password/reset/\S+)", smtp[-1].get_body().get_content())
    post_form(phone, "/logout")  # on another device, before the link is opened
    assert client.get(link.group(1)).status_code == 200
    data = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert post_form(client, link.group(1), data, token_from=link.group(1)).status_code == 302
    assert app.test_client().get(link.group(1)).status_code == 302  # used: refused


# --- a new password revokes every API token -----------------------------------------------------


def test_changing_the_password_revokes_every_api_token(app, client, ctx):
    create_user("hanako@example.jp")
    tokens = [api_token(app.test_client(), "hanako@example.jp") for _ in range(2)]
    assert all(me(client, t).status_code == 200 for t in tokens)
    login(client, "hanako@example.jp")
    change_password(client)
    for token in tokens:
        refused = me(app.test_client(), token)
        assert refused.status_code == 401
        assert refused.json["error"]["code"] == "authentication_required"
    assert client.get("/account").status_code == 200  # this browser stays logged in
    new = api_token(app.test_client(), "hanako@example.jp", NEW_PASSWORD)
    assert me(app.test_client(), new).status_code == 200


def test_resetting_the_password_revokes_every_api_token(app, client, ctx, smtp):
    create_user("hanako@example.jp")
    token = api_token(app.test_client(), "hanako@example.jp")
    reset_password(client, smtp, "hanako@example.jp")
    assert me(app.test_client(), token).status_code == 401
