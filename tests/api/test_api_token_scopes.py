"""API tokens have a scope and an expiry: a read-only token reads, a check-in token scans, an
organiser token does what the person's role allows; an expired token is refused; the browser's
session is not limited by any scope."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app import create_app
from app.accounts.models import ApiToken, User
from app.accounts.services import create_api_token
from app.core.types import utcnow
from app.extensions import db
from tests.api.test_api_accounts import bearer
from tests.checkin.helpers import series_happening_now
from tests.conftest import PASSWORD, TestConfig, create_user, csrf_token, login


def _token(user_id: int, scope: str, **kwargs) -> str:
    user = db.session.get(User, user_id)
    _row, secret = create_api_token(user, scope, scope=scope, **kwargs)
    db.session.commit()
    return secret


@pytest.fixture
def door(ctx, world):
    """A published series whose first session's check-in is open, with one registration."""
    from app.registration import services as reg

    series = series_happening_now(world["org"])
    reg.register(series, create_user("hanako@example.jp"), mode="venue", consent=True)
    db.session.commit()
    return {"series": series.id, "session": series.sessions[0].id}


def _error(response):
    return response.status_code, response.json["error"]["code"]


def test_a_read_only_token_reads_but_changes_nothing(client, world, door):
    auth = bearer(_token(world["organizer"], "read"))
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert client.get(f"/api/v1/series/{door['series']}", headers=auth).status_code == 200
    status = f"/api/v1/sessions/{door['session']}/checkins/status"
    assert client.get(status, headers=auth).status_code == 200
    refused = client.post("/api/v1/orgs", json={"name": "新しい団体"}, headers=auth)
    assert _error(refused) == (403, "token_scope")
    assert refused.json["error"]["needed_scope"] == "organiser"
    scan = client.post(
        f"/api/v1/sessions/{door['session']}/checkins", json={"secret": "x"}, headers=auth
    )
    assert _error(scan) == (403, "token_scope")
    assert scan.json["error"]["needed_scope"] == "checkin"


def test_a_checkin_token_scans_and_reads_what_the_scanner_needs_and_nothing_else(
    client, world, door
):
    auth = bearer(_token(world["staff"], "checkin"))
    base = f"/api/v1/sessions/{door['session']}/checkins"
    scan = client.post(base, json={"secret": "not a ticket"}, headers=auth)
    assert scan.status_code == 200 and scan.json["status"] == "rejected"  # a verdict, not refused
    assert client.get(f"{base}/status", headers=auth).status_code == 200
    assert client.get(f"{base}/list", headers=auth).status_code == 200
    assert client.get(f"{base}/search?q=やまだ", headers=auth).status_code == 200
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert client.get("/api/v1/openapi.json", headers=auth).status_code == 200
    # reads beyond the scanner's, and writes beyond check-in, are not for this token
    assert _error(client.get(f"/api/v1/series/{door['series']}", headers=auth)) == (
        403,
        "token_scope",
    )
    assert _error(client.post("/api/v1/orgs", json={"name": "x"}, headers=auth)) == (
        403,
        "token_scope",
    )


def test_an_organiser_token_does_what_the_role_allows(client, world, door):
    auth = bearer(_token(world["organizer"], "organiser"))
    assert client.post("/api/v1/orgs", json={"name": "新しい団体"}, headers=auth).status_code == 201
    base = f"/api/v1/sessions/{door['session']}/checkins"
    assert client.post(base, json={"secret": "x"}, headers=auth).status_code == 200
    # the scope never widens the role: a participant's organiser token is still no staff
    participant = bearer(_token(world["participant"], "organiser"))
    assert client.get(f"{base}/status", headers=participant).status_code in (403, 404)


def test_an_expired_token_is_refused_with_its_own_code(client, ctx, world):
    secret = _token(world["organizer"], "organiser")
    row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert _error(response) == (401, "token_expired")


def test_the_browser_session_is_not_limited_by_scopes(client, ctx, world):
    login(client, world["emails"]["staff"])
    token = csrf_token(client, "/account")
    headers = {"X-CSRFToken": token}
    created = client.post("/api/v1/orgs", json={"name": "受付の団体"}, headers=headers)
    assert created.status_code == 201


def test_token_api_takes_a_scope_and_an_expiry_and_lists_them(client, ctx, world):
    email = world["emails"]["organizer"]
    answer = client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": PASSWORD, "scope": "read", "expires_in_days": 7},
    )
    assert answer.status_code == 201
    assert answer.json["scope"] == "read"
    expires = answer.json["expires_at"]
    listed = client.get("/api/v1/auth/tokens", headers=bearer(answer.json["token"])).json
    assert [(t["scope"], t["expires_at"]) for t in listed] == [("read", expires)]
    row = db.session.scalar(select(ApiToken))
    assert timedelta(days=7) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(7)


def test_a_token_made_without_choosing_is_organiser_for_90_days(client, ctx, world):
    email = world["emails"]["organizer"]
    answer = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.json["scope"] == "organiser"
    row = db.session.scalar(select(ApiToken))
    assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"scope": "admin"}, "scope"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": 0}, "expires_in_days"),
    ],
)
def test_a_token_never_gets_an_unknown_scope_or_more_than_a_year(client, ctx, world, extra, field):
    body = {"email": world["emails"]["organizer"], "password": PASSWORD, **extra}
    refused = client.post("/api/v1/auth/token", json=body)
    assert _error(refused) == (422, "validation_error")
    assert field in refused.json["error"]["fields"]
    assert db.session.scalar(select(ApiToken)) is None


def test_the_token_page_makes_a_read_only_token_for_30_days_and_lists_it(client, ctx, world):
    from tests.conftest import post_form

    login(client, world["emails"]["organizer"])
    page = post_form(
        client,
        "/account/tokens",
        {"name": "集計シート", "scope": "read", "expires_in_days": "30"},
        token_from="/account",
    )
    assert "読み取り専用" in page.get_data(as_text=True)
    row = db.session.scalar(select(ApiToken))
    assert row.scope == "read"
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    listing = client.get("/account").get_data(as_text=True)
    assert "集計シート" in listing and "読み取り専用" in listing and "有効期限" in listing


def test_the_document_names_the_scope_of_every_operation(client):
    spec = client.get("/api/v1/openapi.json").json
    scopes = {
        (method.upper(), path): op["x-token-scope"]
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert set(scopes.values()) <= {"read", "checkin", "organiser"}
    assert scopes["POST", "/api/v1/sessions/{session_id}/checkins"] == "checkin"
    assert scopes["GET", "/api/v1/series/{series_id}"] == "read"
    assert scopes["POST", "/api/v1/orgs"] == "organiser"
    bearer_doc = spec["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert all(word in bearer_doc for word in ("`read`", "`checkin`", "`organiser`"))


def test_tokens_made_before_scopes_become_organiser_tokens_that_never_expire(tmp_path: Path):
    """The migration, on a database holding a token from before it (SQLite)."""
    from flask_migrate import upgrade

    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/old.db", INSTANCE_DIR=tmp_path
    )
    with app.app_context():
        upgrade(revision="0019_activity_record")
        db.session.execute(
            text(
                "INSERT INTO user (id, email, name, furigana, prefecture, locale, is_admin, "
                "created_at, session_version) VALUES (1, 'a@example.jp', '山田', 'やまだ', "
                "'13', 'ja', 0, '2026-01-01 00:00:00', 1)"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO api_token (id, user_id, name, token_hash, prefix, created_at) "
                "VALUES (1, 1, 'old', 'h', 'kkw_old', '2026-01-01 00:00:00')"
            )
        )
        db.session.commit()
        upgrade()
        row = db.session.execute(text("SELECT scope, expires_at FROM api_token")).one()
        db.session.remove()
    assert tuple(row) == ("organiser", None)
