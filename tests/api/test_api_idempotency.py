"""A retried request never creates twice: a POST sent again with the same Idempotency-Key and
body gets the first answer again; the key with another body is refused; a request that failed
stored nothing, so its retry runs; keys are the caller's own and are forgotten after 24 hours."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.services import create_api_token
from app.api.models import IdempotencyKey
from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Organization
from app.registration.models import Registration
from tests.api.test_api_accounts import bearer
from tests.conftest import create_user
from tests.registration.factories import make_series

REGISTER = {"mode": "venue", "consent": True}


def _auth(user) -> dict:
    _row, secret = create_api_token(user, "idempotency")
    db.session.commit()
    return bearer(secret)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def hanako(ctx):
    return _auth(create_user("hanako@example.jp"))


@pytest.fixture
def series_id(ctx, world):
    series = make_series(world["org"], sessions=(("hybrid", 5, 5),))
    db.session.commit()
    return series.id


def test_a_retried_registration_gets_the_first_answer_and_registers_once(client, hanako, series_id):
    path = f"/api/v1/series/{series_id}/registrations"
    headers = {**hanako, "Idempotency-Key": "7d4c0a7e-reg-1"}
    first = client.post(path, json=REGISTER, headers=headers)
    again = client.post(path, json=REGISTER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(Registration) == 1
    # without the key, the same request is a second try to register: refused as such
    assert client.post(path, json=REGISTER, headers=hanako).status_code == 409


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(client, hanako, world):
    headers = {**hanako, "Idempotency-Key": "org-1"}
    assert client.post("/api/v1/orgs", json={"name": "甲団体"}, headers=headers).status_code == 201
    other = client.post("/api/v1/orgs", json={"name": "乙団体"}, headers=headers)
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert [o.name for o in db.session.scalars(select(Organization))].count("乙団体") == 0


def test_the_same_body_sent_with_other_spacing_is_the_same_request(client, hanako):
    headers = {**hanako, "Idempotency-Key": "org-2", "Content-Type": "application/json"}
    first = client.post("/api/v1/orgs", data='{"name": "甲団体"}', headers=headers)
    again = client.post("/api/v1/orgs", data='{ "name" :"甲団体" }', headers=headers)
    assert first.status_code == again.status_code == 201 and again.json == first.json


def test_a_refused_request_stores_nothing_and_its_retry_runs(client, hanako):
    headers = {**hanako, "Idempotency-Key": "org-3"}
    refused = client.post("/api/v1/orgs", json={"name": ""}, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "validation_error"
    assert _count(IdempotencyKey) == 0
    fixed = client.post("/api/v1/orgs", json={"name": "甲団体"}, headers=headers)
    assert fixed.status_code == 201


def test_a_change_rolled_back_after_it_was_written_stores_no_key(client, hanako, monkeypatch):
    """The organisation is written (flushed), then the request fails: nothing stays, and the
    retry creates it."""
    from app.api import orgs
    from app.core.errors import Conflict

    real = orgs.services.create_org

    def written_then_refused(user, name):
        real(user, name)
        db.session.flush()
        raise Conflict()

    monkeypatch.setattr(orgs.services, "create_org", written_then_refused)
    headers = {**hanako, "Idempotency-Key": "org-5"}
    assert client.post("/api/v1/orgs", json={"name": "甲団体"}, headers=headers).status_code == 409
    assert (_count(Organization), _count(IdempotencyKey)) == (0, 0)
    monkeypatch.setattr(orgs.services, "create_org", real)
    assert client.post("/api/v1/orgs", json={"name": "甲団体"}, headers=headers).status_code == 201
    assert _count(Organization) == 1


def test_keys_are_each_callers_own(client, ctx, series_id):
    path = f"/api/v1/series/{series_id}/registrations"
    for email in ("a@example.jp", "b@example.jp"):
        headers = {**_auth(create_user(email)), "Idempotency-Key": "same-key"}
        answer = client.post(path, json=REGISTER, headers=headers)
        assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert _count(Registration) == 2


def test_a_key_is_forgotten_after_24_hours(client, hanako):
    headers = {**hanako, "Idempotency-Key": "org-4"}
    client.post("/api/v1/orgs", json={"name": "甲団体"}, headers=headers)
    row = db.session.scalar(select(IdempotencyKey))
    assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(hours=24)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    later = client.post("/api/v1/orgs", json={"name": "乙団体"}, headers=headers)
    assert later.status_code == 201 and later.json["name"] == "乙団体"
    assert _count(IdempotencyKey) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "キー", "a\tb"])
def test_an_unusable_key_is_refused_with_a_message(client, hanako, key):
    answer = client.post(
        "/api/v1/orgs", json={"name": "甲団体"}, headers={**hanako, "Idempotency-Key": key}
    )
    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json["error"]["fields"]
    assert _count(Organization) == 0


def test_the_document_shows_the_header_on_the_posts_that_create(client):
    spec = client.get("/api/v1/openapi.json").json
    with_key = {
        path
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method != "parameters"
        and any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    }
    assert {
        "/api/v1/series/{series_id}/registrations",
        "/api/v1/registrations/{registration_id}/sessions",
        "/api/v1/orgs/{org_id}/series",
        "/api/v1/series/{series_id}/sessions",
        "/api/v1/orgs",
    } <= with_key
