"""Two senders draining at once (two worker processes) deliver each event once, each subject's
events in order: a claim skips rows another sender holds (FOR UPDATE SKIP LOCKED) and never
takes a subject's later event while an earlier one is not delivered."""

import os
import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration import services as reg
from app.registration.cancelling import cancel
from app.webhooks import sender
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.webhooks.conftest import add_endpoint

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("KAKAWARI_TEST_DB") != "postgresql",
        reason="SKIP LOCKED is PostgreSQL's",
    ),
]


def test_two_senders_at_once_deliver_each_event_once_in_order(
    app, ctx, world, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOKS_BATCH_SIZE", 3)  # claims interleave
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"], sessions=(("venue", 40, None),))
    people = [
        reg.register(series, create_user(f"s{i}@example.jp"), consent=True) for i in range(20)
    ]
    db.session.commit()
    for registration in people:
        cancel(registration)
        db.session.commit()
    total = len(db.session.scalars(select(WebhookDelivery.id)).all())
    assert total == 40
    receiver.delay = 0.01
    start = threading.Barrier(2)
    tried: list[int] = []

    def run():
        with app.app_context():
            start.wait()
            tried.append(sender.drain())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sender.drain()  # anything a sender left because the other held its subject's earlier event

    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == total  # each once
    assert all(tried) and sum(tried) <= total  # both worked; no event was attempted twice
    per_person: dict[int, list[str]] = {}
    for r in receiver.received:
        event = r["json"]
        per_person.setdefault(event["data"]["registration"]["id"], []).append(event["type"])
    assert set(map(tuple, per_person.values())) == {
        ("registration.confirmed", "registration.cancelled")
    }
    db.session.expire_all()
    assert {d.status for d in db.session.scalars(select(WebhookDelivery))} == {
        DeliveryStatus.delivered
    }
