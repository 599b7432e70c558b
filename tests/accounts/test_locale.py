"""Japanese first, English second: per user, per visitor, Accept-Language."""

from app.extensions import db
from tests.conftest import create_user, login, post_form


def test_visitors_get_japanese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in html and "ログイン" in html


def test_accept_language_english_gets_english(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html and "Log in" in html


def test_visitor_switch_is_remembered_in_the_session(client):
    post_form(client, "/locale", {"locale": "en", "next": "/signup"})
    html = client.get("/signup").get_data(as_text=True)
    assert "Create your account" in html


def test_a_users_choice_is_stored_and_beats_accept_language(client, ctx):
    user = create_user("hanako@example.jp")
    login(client, user.email)
    response = post_form(client, "/locale", {"locale": "en", "next": "//evil.example"})
    assert response.headers["Location"] == "/"
    db.session.refresh(user)
    assert user.locale == "en"
    html = client.get("/account", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "Your account" in html


def test_unknown_locale_is_ignored(client):
    post_form(client, "/locale", {"locale": "fr"})
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)
