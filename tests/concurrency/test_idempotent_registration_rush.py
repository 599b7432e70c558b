"""A phone on a bad connection sends its registration ten times at once with one
Idempotency-Key, against a real server (gunicorn, gevent workers, PostgreSQL): exactly one
registration is made; every answer is that registration (201) or "still in progress" (409),
and a retry afterwards gets the same registration again."""

import pytest
from sqlalchemy import func, select

from app.api.models import IdempotencyKey
from app.extensions import db
from app.registration.models import Registration
from tests.concurrency.live import Call, LiveServer, make_people, make_stage, one, rush

CLIENTS = 10


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("server"), workers=3) as live:
        yield live


def _counts(app, series_id: int, user_id: int) -> tuple[int, int]:
    with app.app_context():
        found = (
            db.session.scalar(
                select(func.count())
                .select_from(Registration)
                .where(Registration.series_id == series_id)
            ),
            db.session.scalar(
                select(func.count())
                .select_from(IdempotencyKey)
                .where(IdempotencyKey.user_id == user_id)
            ),
        )
        db.session.remove()
    return found


def test_ten_simultaneous_posts_with_one_key_register_once(server, live_app):
    stage = make_stage(live_app, 20)
    (person,) = make_people(live_app, 1)
    call = Call(
        "POST",
        f"/api/v1/series/{stage.series_id}/registrations",
        person.token,
        {"mode": "venue", "consent": True},
        {"Idempotency-Key": "9b2f6a1c-phone-retry"},
    )
    results = rush(server.port, [call] * CLIENTS)
    statuses = sorted(r.status for r in results)
    assert set(statuses) <= {201, 409} and 201 in statuses, (statuses, server.log()[-2000:])
    created = {r.body["id"] for r in results if r.status == 201}
    assert len(created) == 1
    for refused in (r for r in results if r.status == 409):
        assert refused.body["error"]["code"] == "idempotency_in_progress"
    assert _counts(live_app, stage.series_id, person.user_id) == (1, 1)
    retry = one(server.port, call)
    assert retry.status == 201 and retry.body["id"] in created


def test_ten_simultaneous_creations_with_one_key_create_one_organisation(server, live_app):
    """Creating an organisation has no rule against a second one of the same name: only the
    key keeps the ten from making ten."""
    from app.orgs.models import Organization

    (person,) = make_people(live_app, 1, "founder")
    name = f"再送テスト団体 {person.user_id}"
    call = Call("POST", "/api/v1/orgs", person.token, {"name": name}, {"Idempotency-Key": "k1"})
    results = rush(server.port, [call] * CLIENTS)
    statuses = sorted(r.status for r in results)
    assert set(statuses) <= {201, 409} and 201 in statuses, (statuses, server.log()[-2000:])
    assert len({r.body["id"] for r in results if r.status == 201}) == 1
    with live_app.app_context():
        made = db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.name == name)
        )
        db.session.remove()
    assert made == 1
