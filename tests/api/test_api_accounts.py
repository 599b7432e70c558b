"""The JSON API base: tokens, sign-up, /me, /orgs, errors as JSON with stable codes."""

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.conftest import PASSWORD, create_org, create_user, login

SIGNUP = {
    "email": "taro@example.jp",
    "password": "long-enough-pass",
    "name": "鈴木 太郎",
    "furigana": "すずき たろう",
    "prefecture": "東京都",
    "relations": ["work", "interest"],
    "consent": True,
}


def token_for(client, email, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.json
    return response.json["token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_then_me_with_orgs(client, ctx):
    user = create_user("hanako@example.jp", prefecture="32", relations=["origin"])
    create_org("しまね関係人口ラボ", organizer=user)
    token = token_for(client, "hanako@example.jp")
    me = client.get("/api/v1/me", headers=bearer(token)).json
    assert me["email"] == "hanako@example.jp"
    assert me["prefecture"] == {"code": "32", "name": "島根県"}
    assert me["relations"] == ["origin"]
    assert [(o["name"], o["role"]) for o in me["orgs"]] == [("しまね関係人口ラボ", "organizer")]


def _last_used(token_secret):
    from app.accounts.models import ApiToken

    db.session.expire_all()
    return db.session.scalar(
        select(ApiToken.last_used_at).where(ApiToken.prefix == token_secret[:10])
    )


def test_token_use_is_recorded_on_reads_and_writes_at_most_every_few_minutes(client, ctx):
    from datetime import timedelta

    from app.accounts.models import ApiToken
    from app.core.types import utcnow

    create_user("hanako@example.jp")
    token = token_for(client, "hanako@example.jp")
    assert _last_used(token) is None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    first = _last_used(token)
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    # used again at once: not written again
    client.get("/api/v1/me", headers=bearer(token))
    assert _last_used(token) == first
    # a while later, a request that fails validation still records the use
    row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == token[:10]))
    row.last_used_at = first - timedelta(minutes=10)
    db.session.commit()
    refused = client.post("/api/v1/orgs", json={"name": ""}, headers=bearer(token))
    assert refused.status_code == 422
    assert _last_used(token) > first - timedelta(minutes=10)


def test_wrong_password_gives_json_401(client, ctx):
    create_user("hanako@example.jp")
    response = client.post(
        "/api/v1/auth/token", json={"email": "hanako@example.jp", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


def test_token_endpoint_shares_the_failed_login_limit(app, client, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "2 per 15 minutes")
    create_user("hanako@example.jp")
    for _ in range(2):
        client.post("/api/v1/auth/token", json={"email": "hanako@example.jp", "password": "x"})
    blocked = client.post(
        "/api/v1/auth/token", json={"email": "hanako@example.jp", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "rate_limited"


@pytest.mark.parametrize(
    "prefecture", ["東京都", "13", 13, "JP-13", "Tokyo"], ids=["ja", "code", "int", "iso", "en"]
)
def test_signup_accepts_prefecture_by_name_or_code(client, ctx, prefecture):
    response = client.post("/api/v1/users", json=dict(SIGNUP, prefecture=prefecture))
    assert response.status_code == 201, response.json
    assert response.json["prefecture"] == {"code": "13", "name": "東京都"}
    assert response.json["orgs"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"name": ""}, "name"),
        ({"furigana": "Suzuki"}, "furigana"),
        ({"prefecture": "Atlantis"}, "prefecture"),
        ({"prefecture": 48}, "prefecture"),
        ({"relations": ["origin", "alien"]}, "relations"),
        ({"relations": "work"}, "relations"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_signup_validation_errors_name_the_field(client, ctx, change, field):
    response = client.post("/api/v1/users", json={**SIGNUP, **change})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"] and error["fields"][field][0]
    assert db.session.scalar(select(User)) is None


def test_signup_errors_in_japanese_or_english(client):
    ja = client.post(
        "/api/v1/users", json={**SIGNUP, "furigana": "x"}, headers={"Accept-Language": "ja"}
    )
    en = client.post(
        "/api/v1/users", json={**SIGNUP, "furigana": "x"}, headers={"Accept-Language": "en"}
    )
    assert "ひらがな" in ja.json["error"]["fields"]["furigana"][0]
    assert "hiragana" in en.json["error"]["fields"]["furigana"][0]
    missing = client.post(
        "/api/v1/users", json={"email": "a@example.jp"}, headers={"Accept-Language": "ja"}
    )
    assert missing.json["error"]["fields"]["password"] == ["この項目は必須です。"]


def test_signup_twice_is_a_conflict(client, ctx):
    assert client.post("/api/v1/users", json=SIGNUP).status_code == 201
    again = client.post("/api/v1/users", json={**SIGNUP, "email": "TARO@example.jp"})
    assert again.status_code == 409 and again.json["error"]["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    ["not json at all", "[1, 2]", '"a string"', "null", '{"email": ["x"]}'],
)
def test_malformed_bodies_get_json_errors_not_500(client, ctx, body):
    response = client.post("/api/v1/users", data=body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("invalid_json", "validation_error")


def test_signups_are_rate_limited(app, client, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUPS_PER_ADDRESS", "1 per hour")
    assert client.post("/api/v1/users", json=SIGNUP).status_code == 201
    blocked = client.post("/api/v1/users", json={**SIGNUP, "email": "x@example.jp"})
    assert blocked.status_code == 429 and blocked.json["error"]["code"] == "rate_limited"


def test_create_org_makes_caller_owner(client, ctx):
    create_user("hanako@example.jp")
    token = token_for(client, "hanako@example.jp")
    response = client.post("/api/v1/orgs", json={"name": "雲南市"}, headers=bearer(token))
    assert response.status_code == 201
    assert response.json["name"] == "雲南市" and response.json["role"] == "owner"
    me = client.get("/api/v1/me", headers=bearer(token)).json
    assert me["orgs"] == [{"id": response.json["id"], "name": "雲南市", "role": "owner"}]
    bad = client.post("/api/v1/orgs", json={"name": "  "}, headers=bearer(token))
    assert bad.status_code == 422 and "name" in bad.json["error"]["fields"]


def test_missing_or_revoked_token_is_401_json(client, ctx):
    assert client.get("/api/v1/me").json["error"]["code"] == "authentication_required"
    bad = client.get("/api/v1/me", headers=bearer("kkw_forged"))
    assert bad.status_code == 401 and bad.json["error"]["code"] == "authentication_required"
    create_user("hanako@example.jp")
    token = token_for(client, "hanako@example.jp")
    tokens = client.get("/api/v1/auth/tokens", headers=bearer(token)).json
    assert len(tokens) == 1 and "token" not in tokens[0]
    assert (
        client.delete(f"/api/v1/auth/tokens/{tokens[0]['id']}", headers=bearer(token)).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_unknown_api_paths_and_methods_are_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.put("/api/v1/me")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"


def test_cookie_authenticated_api_calls_need_the_csrf_token(client, ctx):
    create_user("hanako@example.jp")
    login(client, "hanako@example.jp")
    assert client.get("/api/v1/me").status_code == 200  # reading needs no token
    refused = client.post("/api/v1/orgs", json={"name": "雲南市"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    from tests.conftest import csrf_token

    ok = client.post(
        "/api/v1/orgs",
        json={"name": "雲南市"},
        headers={"X-CSRFToken": csrf_token(client, "/orgs")},
    )
    assert ok.status_code == 201


def test_openapi_document_is_generated_and_browsable(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/token", "/api/v1/users", "/api/v1/me", "/api/v1/orgs"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "error" in spec["components"]["schemas"]["Error"]["properties"]
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
