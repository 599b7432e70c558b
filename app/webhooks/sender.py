"""The sender: drains due deliveries and POSTs them, signed (Standard Webhooks).

Guarantees, as the mail queue's (app.mail.queue): two senders never hold the same row at once
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one UPDATE under the write lock); at least once,
with the event's stable id (a sender killed after the endpoint's answer leaves the row
`sending`, sent again when its lease lapses). In order per subject: a delivery waits while an
earlier one of its endpoint and subject is not delivered. A failed attempt is retried after
WEBHOOKS_RETRY_SECONDS, doubling up to WEBHOOKS_RETRY_MAX_SECONDS. An endpoint failing
WEBHOOKS_DISABLE_AFTER_FAILURES times in a row, or for WEBHOOKS_DISABLE_AFTER_SECONDS, is
disabled and its organisation's owners are mailed (at once on 410 Gone); its deliveries wait
for it to be enabled.
"""

import json
import logging
import time
from contextvars import ContextVar
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import aliased

from app.core.outbox import claim_due
from app.core.types import utcnow
from app.extensions import db
from app.mail.delivery import add_periodic_job, delivery_mode, drain_outside
from app.webhooks import addresses, http, signing
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.notices import tell_owners_disabled

log = logging.getLogger("kakawari.webhooks")
_draining = ContextVar("kakawari_webhooks_draining", default=False)


def _due(now):
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        and_(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.subject == WebhookDelivery.subject,
            earlier.id < WebhookDelivery.id,
            earlier.status != DeliveryStatus.delivered,
        )
    )
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    return (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status.in_([DeliveryStatus.pending, DeliveryStatus.sending]),
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.endpoint_id.in_(enabled),
            ~blocked,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )


def claim(limit: int) -> list[int]:
    """Mark up to `limit` due deliveries `sending` for this sender and count the attempt; their
    ids, committed. A row another sender holds is skipped, never waited for or taken twice."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["WEBHOOKS_SENDING_LEASE_SECONDS"])
    return claim_due(WebhookDelivery, _due(now).limit(limit),
                     sending=DeliveryStatus.sending, now=now, lease=lease)  # fmt: skip


def drain(limit: int | None = None) -> int:
    """Send what is due, batch by batch, until nothing is due; how many attempts were made."""
    tried = 0
    batch = current_app.config["WEBHOOKS_BATCH_SIZE"]
    while limit is None or tried < limit:
        ids = claim(batch if limit is None else min(batch, limit - tried))
        if not ids:
            break
        for delivery_id in ids:
            send_one(db.session.get(WebhookDelivery, delivery_id))
        tried += len(ids)
    return tried


def retry_delay(attempts: int) -> timedelta:
    cfg = current_app.config
    seconds = cfg["WEBHOOKS_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, cfg["WEBHOOKS_RETRY_MAX_SECONDS"]))


def send_one(delivery: WebhookDelivery) -> bool:
    """One attempt, its outcome recorded and committed; whether the endpoint took it."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    started = time.monotonic()
    code, error = None, None
    try:
        target = addresses.check(endpoint.url)  # again: the name may point elsewhere by now
        stamp = int(time.time())
        headers = signing.headers(endpoint.secret, delivery.event_id, stamp, body)
        code = http.post(target, headers, body, current_app.config["WEBHOOKS_TIMEOUT_SECONDS"])
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except addresses.Refused as exc:
        error = str(exc.message)
    except Exception as exc:  # unreachable, timed out, TLS, a broken answer
        error = f"{type(exc).__name__}: {exc}"
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.response_code = code
    now = utcnow()
    if error is None:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.last_error = None
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
    else:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.last_error = error[:2000]
        _endpoint_failed(endpoint, now, gone=code == 410)
        log.warning("Webhook %s to endpoint %s failed: %s", delivery.id, endpoint.id, error)
    db.session.commit()
    return error is None


def _endpoint_failed(endpoint: WebhookEndpoint, now, *, gone: bool = False) -> None:
    """Count the failure; turn the endpoint off after too many, or at once when it answered
    410 Gone (as pretix does: the receiver says it is no more)."""
    cfg = current_app.config
    endpoint.consecutive_failures += 1
    endpoint.failing_since = endpoint.failing_since or now
    too_many = endpoint.consecutive_failures >= cfg["WEBHOOKS_DISABLE_AFTER_FAILURES"]
    too_long = now - endpoint.failing_since >= timedelta(
        seconds=cfg["WEBHOOKS_DISABLE_AFTER_SECONDS"]
    )
    if endpoint.enabled and (too_many or too_long or gone):
        endpoint.enabled = False
        endpoint.disabled_at = now
        tell_owners_disabled(endpoint)  # the outbox mail, committed with the disabling
        log.error("Webhook endpoint %s disabled after repeated failures", endpoint.id)


# --- who drains ---------------------------------------------------------------------------------


def delivery(app: Flask) -> str:
    return app.config.get("WEBHOOKS_DELIVERY") or delivery_mode(app)


def after_queued(app: Flask) -> None:
    """A commit wrote deliveries: drain now when delivering inline (the tests); the mail
    thread and the worker find them within WEBHOOKS_POLL_SECONDS."""
    if delivery(app) == "inline":
        drain_now(app)


def drain_now(app: Flask) -> None:
    drain_outside(app, drain, _draining, "the webhooks")


def purge_delivered() -> int:
    """Delete delivered rows (their payloads name people) after WEBHOOKS_KEEP_DAYS. Flushes."""
    before = utcnow() - timedelta(days=current_app.config["WEBHOOKS_KEEP_DAYS"])
    return db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.delivered,
            WebhookDelivery.delivered_at < before,
        )
    ).rowcount


def schedule_webhooks(app: Flask) -> None:
    """The mail thread and `flask mail worker` send the deliveries, and forget old ones."""
    add_periodic_job(app, "webhooks", app.config["WEBHOOKS_POLL_SECONDS"], drain)
    add_periodic_job(app, "webhooks-purge", 3600, purge_delivered)
