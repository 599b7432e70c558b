"""A live socket lives only as long as the login or API token it was opened with, and every
event that writes spends from a budget per person."""

import time

from sqlalchemy import func, select

from app.accounts.services import create_api_token
from app.extensions import db
from app.live.models import ChatMessage, Connection
from tests.conftest import PASSWORD, login, post_form
from tests.live.test_socket import (
    _fresh_rate_limits,  # noqa: F401 -- every test starts with full budgets
    joined,
    nothing,
    wait_for,
)

NEW_PASSWORD = "a-new-password-1"


def closed(client, timeout=5.0) -> bool:
    """Whether the server closed the socket within `timeout`."""
    deadline = time.monotonic() + timeout
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    return not client.connected


def browser_of(app, email, *, remember=False):
    browser = app.test_client()
    if remember:
        response = post_form(
            browser,
            "/login",
            {"email": email, "password": PASSWORD, "remember": "y"},
            token_from="/login",
        )
        assert response.status_code == 302
    else:
        login(browser, email)
    return browser


def cookie_socket(connect, browser, room, name="session"):
    client = connect(headers={"Cookie": f"{name}={browser.get_cookie(name).value}"})
    assert client.call("join", {"session_id": room.session_id}, timeout=10)["ok"]
    return client


def chats(app, session_id) -> list[str]:
    with app.app_context():
        texts = db.session.scalars(
            select(ChatMessage.text).where(ChatMessage.session_id == session_id)
        ).all()
        db.session.remove()
    return list(texts)


# --- the socket ends with its login or token -----------------------------------------------------


def test_logging_out_closes_the_live_sockets_opened_with_the_persons_login(app, connect, room):
    browser = browser_of(app, "alice@example.jp")
    kept = browser_of(app, "alice@example.jp", remember=True)
    in_tab = cookie_socket(connect, browser, room)
    remembered = cookie_socket(connect, kept, room, "remember_token")
    by_token = joined(connect, room, "alice")  # an app's socket: its token stays valid
    bob = joined(connect, room, "bob")
    post_form(browser, "/logout")
    assert closed(in_tab) and closed(remembered)
    assert by_token.call("chat", {"text": "the app is still here"})["ok"]
    assert bob.call("chat", {"text": "others stay"})["ok"]


def test_a_socket_of_an_ended_login_cannot_chat_even_if_the_close_never_reached_it(
    app, connect, room, monkeypatch
):
    # as when the message to close it did not reach its process (Redis away)
    monkeypatch.setattr(app.extensions["live_socket"], "close_sockets", lambda rooms: None)
    browser = browser_of(app, "alice@example.jp")
    alice = cookie_socket(connect, browser, room)
    bob = joined(connect, room, "bob")
    post_form(browser, "/logout")
    alice.emit("chat", {"text": "after logout"})
    error = wait_for(alice, "error", lambda e: e["event"] == "chat")
    assert error["code"] == "authentication_required"
    assert closed(alice)
    assert nothing(bob, "chat", seconds=0.5)
    assert chats(app, room.session_id) == []


def test_a_socket_that_only_listens_is_closed_at_the_next_heartbeat_if_the_close_was_lost(
    app, connect, room, monkeypatch
):
    live_socket = app.extensions["live_socket"]
    monkeypatch.setattr(live_socket, "close_sockets", lambda rooms: None)
    browser = browser_of(app, "alice@example.jp")
    alice = cookie_socket(connect, browser, room)
    bob = joined(connect, room, "bob")
    carol_browser = browser_of(app, "carol@example.jp")
    other_room = connect(headers={"Cookie": f"session={carol_browser.get_cookie('session').value}"})
    assert other_room.call("join", {"session_id": room.other_session_id})["ok"]
    post_form(browser, "/logout")
    with app.app_context():
        live_socket.beat()
        db.session.remove()
    assert closed(alice)
    assert bob.connected and other_room.connected
    assert bob.call("chat", {"text": "still here"})["ok"]


def test_a_new_password_closes_every_socket_of_the_person(app, connect, room):
    browser = browser_of(app, "alice@example.jp")
    in_tab = cookie_socket(connect, browser, room)
    by_token = joined(connect, room, "alice")
    response = post_form(
        browser,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        token_from="/account/password",
    )
    assert response.status_code == 302
    assert closed(in_tab) and closed(by_token)
    # the browser that changed it is still logged in, and its page connects again
    again = cookie_socket(connect, browser, room)
    assert again.call("chat", {"text": "back with the new password"})["ok"]


def test_deleting_the_account_closes_every_socket_of_the_person(app, connect, room):
    browser = browser_of(app, "alice@example.jp")
    in_tab = cookie_socket(connect, browser, room)
    by_token = joined(connect, room, "alice")
    response = post_form(
        browser, "/account/delete", {"password": PASSWORD}, token_from="/account/delete"
    )
    assert response.status_code == 302
    assert closed(in_tab) and closed(by_token)


def test_a_socket_of_a_token_revoked_elsewhere_cannot_chat(app, connect, room, monkeypatch):
    monkeypatch.setattr(app.extensions["live_socket"], "close_sockets", lambda rooms: None)
    with app.app_context():
        from app.accounts.models import ApiToken

        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == room.ids["alice"]))
        token_id = token.id
        db.session.remove()
    alice = joined(connect, room, "alice")
    browser = browser_of(app, "alice@example.jp")
    post_form(browser, f"/account/tokens/{token_id}/revoke", token_from="/account")
    alice.emit("chat", {"text": "with a revoked token"})
    assert wait_for(alice, "error")["code"] == "authentication_required"
    assert closed(alice)
    assert chats(app, room.session_id) == []


def test_revoking_a_token_closes_only_the_sockets_opened_with_it(app, connect, room):
    with app.app_context():
        from app.accounts.models import User

        second = create_api_token(db.session.get(User, room.ids["bob"]), "second")[1]
        db.session.commit()
        db.session.remove()
    first = joined(connect, room, "bob")
    other = connect(second)
    assert other.call("join", {"session_id": room.session_id})["ok"]
    tokens = app.test_client().get(
        "/api/v1/auth/tokens", headers={"Authorization": f"Bearer {second}"}
    )
    (first_id,) = [t["id"] for t in tokens.json if t["name"] == "live test"]
    revoked = app.test_client().delete(
        f"/api/v1/auth/tokens/{first_id}", headers={"Authorization": f"Bearer {second}"}
    )
    assert revoked.status_code == 204
    assert closed(first)
    assert other.call("chat", {"text": "the other token still works"})["ok"]


# --- a budget for every event that writes ---------------------------------------------------------


def _refusals(acks) -> list[str]:
    return [a["error"]["code"] for a in acks if "error" in a]


def test_votes_and_name_changes_are_refused_beyond_the_persons_budget(app, connect, room):
    organizer = joined(connect, room, "organizer")
    poll = organizer.call("poll_create", {"question": "次回は？", "options": ["A", "B"]})["poll"]
    assert organizer.call("poll_open", {"id": poll["id"]})["ok"]
    alice, alice_tab = joined(connect, room, "alice"), joined(connect, room, "alice")
    bob = joined(connect, room, "bob")
    votes = [alice.call("poll_vote", {"id": poll["id"], "choices": [i % 2]}) for i in range(40)]
    assert sum(1 for a in votes if a.get("ok")) == 30
    assert set(_refusals(votes)) == {"rate_limited"}
    assert wait_for(alice, "error", lambda e: e["code"] == "rate_limited")["event"] == "poll_vote"
    # every tab and every kind of write share the person's budget
    assert alice_tab.call("hide_name", {"hide": True})["error"]["code"] == "rate_limited"
    assert bob.call("hide_name", {"hide": True})["ok"]
    assert bob.call("poll_vote", {"id": poll["id"], "choices": [0]})["ok"]


def test_hiding_the_name_over_and_over_is_refused(connect, room):
    alice = joined(connect, room, "alice")
    acks = [alice.call("hide_name", {"hide": i % 2 == 0}) for i in range(100)]
    assert len(_refusals(acks)) == 70 and set(_refusals(acks)) == {"rate_limited"}


def test_joining_and_leaving_over_and_over_is_refused_and_adds_no_rows(app, connect, room):
    alice = connect(room.tokens["alice"])
    acks = []
    for _ in range(50):
        acks.append(alice.call("join", {"session_id": room.session_id}))
        acks.append(alice.call("leave", {}))
    assert sum(1 for a in acks if a.get("ok")) == 20
    assert set(_refusals(acks)) == {"rate_limited"}
    with app.app_context():
        rows = db.session.scalar(
            select(func.count(Connection.id)).where(Connection.user_id == room.ids["alice"])
        )
        db.session.remove()
    assert rows == 1  # the socket continued its interval each time it came back
    # another person joins as usual
    assert joined(connect, room, "bob")
