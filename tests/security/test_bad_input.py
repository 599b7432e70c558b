"""Bad input on every form and endpoint gets a clear answer, never a 500 (SQLite and PostgreSQL:
PostgreSQL refuses NUL characters in text, which is where a careless path would crash)."""

import pytest

from tests.conftest import csrf_token, login
from tests.security.test_authorization_matrix import API

NASTY_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b@example.jp",
    "x" * 5000,
    "<script>alert(1)</script>",
    "'; DROP TABLE user; --",
    "ｶﾀｶﾅ",
    "🙂" * 50,
]
FORM_FIELDS = [
    "email",
    "password",
    "password_confirm",
    "current_password",
    "name",
    "furigana",
    "prefecture",
    "relations",
    "consent",
    "locale",
    "role",
    "remember",
    "next",
]


@pytest.mark.parametrize("value", NASTY_VALUES, ids=range(len(NASTY_VALUES)))
def test_every_form_survives_nasty_values(app, world, value):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    anonymous = app.test_client()
    urls = [
        "/signup",
        "/login",
        "/password/forgot",
        "/orgs",
        "/account",
        "/account/password",
        "/account/delete",
        "/account/tokens",
        "/locale",
        f"/orgs/{world['org']}/invitations",
        "/orgs/1/members/1/role",
    ]
    for client in (anonymous, owner):
        token = csrf_token(client, "/login" if client is anonymous else "/account")
        for url in urls:
            data = dict.fromkeys(FORM_FIELDS, value)
            data["csrf_token"] = token
            response = client.post(url, data=data)
            assert response.status_code < 500, (url, value)


JSON_BODIES = [
    {},
    [],
    "text",
    123,
    None,
    {"email": None, "password": None},
    {
        "email": "\x00",
        "password": "\x00",
        "name": "\x00",
        "furigana": "\x00",
        "prefecture": "\x00",
        "relations": ["\x00"],
        "consent": True,
    },
    {
        "email": ["a"],
        "password": {"b": 1},
        "name": 5,
        "prefecture": [],
        "relations": {},
        "consent": "yes-please",
    },
    {"name": "x" * 10000},
    {"name": "\x00"},
]


@pytest.mark.parametrize("body", JSON_BODIES, ids=range(len(JSON_BODIES)))
def test_every_api_endpoint_survives_bad_json(app, world, body):
    from app.accounts.models import User
    from app.accounts.services import create_api_token
    from app.extensions import db

    with app.app_context():
        secret = create_api_token(db.session.get(User, world["owner"]), "fuzz")[1]
        db.session.commit()
    client = app.test_client()
    for _endpoint, method, path, _body, _expected in API:
        url = path.replace("{foreign_token}", "999")
        for headers in ({}, {"Authorization": f"Bearer {secret}"}):
            response = client.open(url, method=method, json=body, headers=headers)
            assert response.status_code < 500, (method, url, body)
            if response.status_code >= 400:
                assert response.json["error"]["code"]


def test_garbage_tokens_and_paths_never_500(client):
    for header in ("Bearer", "Bearer \x00", "Basic abc", "Bearer " + "k" * 5000, "kkw_x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
    for path in (
        "/invitations/" + "x" * 500,
        "/password/reset/" + "x" * 3000,
        "/orgs/99999999999999999999",
        "/api/v1/auth/tokens/abc",
    ):
        assert client.get(path).status_code < 500
