"""The outbox's promises: a rolled-back change sends nothing; a receiver that was down gets
every event once it is back, each once and in order per subject; an endpoint failing again and
again is turned off and its owners are mailed; the address is checked again at sending time."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.mail.models import OutgoingMail
from app.registration import services as reg
from app.registration.cancelling import cancel
from app.registration.unit import one_unit_of_work
from app.webhooks import sender
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.webhooks.conftest import add_endpoint


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_rolled_back_change_sends_nothing(app, ctx, world, receiver):
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"])
    person = create_user("rolled@example.jp")
    with pytest.raises(RuntimeError), one_unit_of_work():  # an edge whose later step failed
        reg.register(series, person, mode="venue", consent=True)
        assert _count(WebhookDelivery) == 1  # in the registration's transaction
        raise RuntimeError("the edge failed after the registration")
    assert _count(WebhookDelivery) == 0
    sender.drain()
    assert receiver.received == []

    reg.register(series, create_user("kept@example.jp"), mode="venue", consent=True)
    db.session.commit()
    sender.drain()
    assert receiver.types() == ["registration.confirmed"]


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(
    app, ctx, world, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOKS_RETRY_SECONDS", 0)
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"], sessions=(("venue", 1, None), ("venue", 1, None)))
    receiver.stop()  # down
    people = [reg.register(series, create_user(f"d{i}@example.jp"), consent=True) for i in range(3)]
    db.session.commit()
    for registration in people[:2]:
        cancel(registration)
        db.session.commit()
    assert sender.drain(limit=6) == 6  # every attempt fails; only each subject's first is tried
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert all(r.status is DeliveryStatus.pending for r in rows)
    tried = [r for r in rows if r.attempts]
    assert len({r.subject for r in tried}) == len(tried) == 3  # the first of each of 3 subjects
    assert all(r.last_error and "Connection" in r.last_error for r in tried)

    receiver.start()  # back, on the same port
    sender.drain()
    expected = {
        f"registration:{people[0].id}": ["registration.confirmed", "registration.cancelled"],
        f"registration:{people[1].id}": [
            "registration.waitlisted",
            "registration.promoted",
            "registration.cancelled",
        ],
        f"registration:{people[2].id}": ["registration.waitlisted", "registration.promoted"],
    }
    got: dict[str, list[str]] = {}
    for r in receiver.received:
        event = r["json"]
        got.setdefault(f"registration:{event['data']['registration']['id']}", []).append(
            event["type"]
        )
    assert got == expected
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == _count(WebhookDelivery)
    assert {r.status for r in db.session.scalars(select(WebhookDelivery))} == {
        DeliveryStatus.delivered
    }


def test_a_later_event_waits_while_an_earlier_one_is_retrying(app, ctx, world, receiver):
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"])
    registration = reg.register(series, create_user("w@example.jp"), mode="venue", consent=True)
    db.session.commit()
    receiver.status = 500
    sender.drain()  # the first fails, and waits WEBHOOKS_RETRY_SECONDS
    receiver.status = 204
    cancel(registration)
    db.session.commit()
    sender.drain()
    assert receiver.received == []  # the cancellation waits behind the confirmation
    db.session.execute(
        WebhookDelivery.__table__.update().values(next_attempt_at=WebhookDelivery.created_at)
    )
    db.session.commit()
    sender.drain()
    assert receiver.types() == ["registration.confirmed", "registration.cancelled"]


def test_repeated_failures_turn_the_endpoint_off_and_mail_the_owner(
    app, ctx, world, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOKS_RETRY_SECONDS", 0)
    monkeypatch.setitem(app.config, "WEBHOOKS_DISABLE_AFTER_FAILURES", 3)
    endpoint_id, _secret = add_endpoint(world["org"], receiver.url)
    receiver.status = 500
    series = make_series(world["org"])
    reg.register(series, create_user("f@example.jp"), mode="venue", consent=True)
    db.session.commit()
    assert sender.drain(limit=10) == 3  # off after the third: nothing more is tried
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert not endpoint.enabled and endpoint.disabled_at is not None
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.recipient != "f@example.jp")
    ).all()
    assert [m.recipient for m in mails] == [world["emails"]["owner"]]  # not the organiser
    assert receiver.url in mails[0].body
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.attempts, delivery.response_code) == (3, 500)

    # a new event while it is off is not queued for it; turning it on sends what waited
    from app.webhooks import services

    receiver.status = 204
    services.enable(endpoint, None)
    db.session.commit()
    sender.drain()
    assert receiver.types() == ["registration.confirmed"]


def test_the_address_is_checked_again_when_sending(app, ctx, world, receiver, monkeypatch):
    """A name that resolved to a public address when it was added may point inside later (DNS
    rebinding): the sender resolves and checks again, and sends nothing there."""
    add_endpoint(world["org"], receiver.url)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    series = make_series(world["org"])
    reg.register(series, create_user("r@example.jp"), mode="venue", consent=True)
    db.session.commit()
    sender.drain()
    assert receiver.received == []
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status is DeliveryStatus.pending
    assert "プライベート" in delivery.last_error  # said in the default language, ja


def test_410_gone_turns_the_endpoint_off_at_once(app, ctx, world, receiver):
    endpoint_id, _secret = add_endpoint(world["org"], receiver.url)
    receiver.status = 410
    series = make_series(world["org"])
    reg.register(series, create_user("g@example.jp"), mode="venue", consent=True)
    db.session.commit()
    assert sender.drain() == 1
    assert not db.session.get(WebhookEndpoint, endpoint_id).enabled


def test_delivered_rows_are_forgotten_after_the_keeping_time(app, ctx, world, receiver):
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"])
    reg.register(series, create_user("k@example.jp"), mode="venue", consent=True)
    db.session.commit()
    sender.drain()
    assert sender.purge_delivered() == 0  # delivered just now: kept
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    delivery.delivered_at -= timedelta(days=app.config["WEBHOOKS_KEEP_DAYS"] + 1)
    db.session.commit()
    assert sender.purge_delivered() == 1
    db.session.commit()
    assert _count(WebhookDelivery) == 0
