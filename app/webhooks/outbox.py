"""The outbox: an event's deliveries are rows added to the transaction of the change it tells
of (committed with it, or not at all), one per endpoint of the organisation that asked for it.
Once such a commit returned, the sender drains them (inline in tests, else the mail thread or
`flask mail worker`, app.mail.delivery)."""

import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Organization
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

#: the session's info key: "this transaction queued deliveries"
QUEUED = "kakawari.webhooks_queued"

EVENT_TYPES = {
    "registration.confirmed": _l("Registration confirmed"),
    "registration.waitlisted": _l("Registration waitlisted"),
    "registration.promoted": _l("Promoted from the waiting list"),
    "registration.cancelled": _l("Registration cancelled"),
    "checkin.created": _l("Checked in"),
    "checkin.undone": _l("Check-in undone"),
    "attendance.finalised": _l("Attendance final"),
    "certificate.issued": _l("Certificate issued"),
    "certificate.withdrawn": _l("Certificate withdrawn"),
    "session.changed": _l("Session changed"),
    "session.cancelled": _l("A session was cancelled"),
}
#: the "send a test event" button's event, sent to one endpoint whatever it chose
TEST_EVENT = "webhook.test"


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def enqueue(org_id: int, event_type: str, subject: str, data: dict, *, only=None) -> str | None:
    """Queue the event for the organisation's enabled endpoints that chose it (or for `only`,
    one endpoint) in the current transaction; its id, or None when nobody listens."""
    if only is not None:
        endpoints = [only]
    else:
        endpoints = [
            e
            for e in db.session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.org_id == org_id, WebhookEndpoint.enabled.is_(True)
                )
            )
            if event_type in (e.events or ())
        ]
    if not endpoints:
        return None
    now = utcnow()
    event_id = f"evt_{uuid.uuid4().hex}"
    org = db.session.get(Organization, org_id)
    payload = {
        "id": event_id,
        "type": event_type,
        "timestamp": iso(now),
        "organisation": {"id": org.id, "name": org.name},
        "data": data,
    }
    for endpoint in endpoints:
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event_id,
                event_type=event_type,
                subject=subject,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )
    db.session().info[QUEUED] = True
    return event_id


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(QUEUED, False):
        return
    from app.webhooks.sender import after_queued

    after_queued(current_app._get_current_object())


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(QUEUED, None)
