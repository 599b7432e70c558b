"""GET /healthz: 200 when the database (and Redis, when configured) answer, 503 naming the
one that does not; public and free of personal data."""

import os

import pytest
from sqlalchemy.exc import OperationalError

from app.extensions import db
from tests.conftest import free_port

REDIS_URL = os.environ.get("KAKAWARI_TEST_REDIS", "redis://127.0.0.1:6379/0")


def test_healthy_without_redis(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session for a probe


def test_redis_unreachable_is_a_503(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "redis": "error"}


def test_database_unreachable_is_a_503(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "error", "redis": "not configured"}


@pytest.mark.skipif(
    os.environ.get("KAKAWARI_TEST_DB") != "postgresql", reason="Redis runs with the PG suite"
)
def test_healthy_with_redis(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["redis"] == "ok"


def test_behind_https_a_probe_says_it_came_through_the_proxy(app, tmp_path):
    """With HTTPS=1 plain-HTTP requests are redirected; a probe that talks to the process
    directly sends X-Forwarded-Proto: https, as nginx does (README)."""
    from app import create_app
    from tests.conftest import TestConfig

    https_app = create_app(
        TestConfig,
        HTTPS=True,
        REDIS_URL=None,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=tmp_path,
    )
    probe = https_app.test_client()
    assert probe.get("/healthz").status_code == 302
    response = probe.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200 and response.json["database"] == "ok"
    with https_app.app_context():
        db.engine.dispose()
