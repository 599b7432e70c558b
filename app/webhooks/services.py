"""An owner's endpoints: adding, rotating the secret, turning on again, removing, the test
event and the delivery log. Services flush; the edge commits."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.audit import services as audit
from app.core.errors import NotFound, ValidationFailed
from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Organization
from app.webhooks import addresses
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.outbox import EVENT_TYPES, TEST_EVENT, enqueue, iso
from app.webhooks.signing import new_secret

#: the most endpoints one organisation may have
MAX_ENDPOINTS = 10


def endpoints(org: Organization) -> list[WebhookEndpoint]:
    return db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.org_id == org.id).order_by(WebhookEndpoint.id)
    ).all()


def endpoint_of(org: Organization, endpoint_id: int) -> WebhookEndpoint:
    """The organisation's endpoint; NotFound for another organisation's (tenancy)."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.org_id != org.id:
        raise NotFound()
    return endpoint


def _clean_events(values) -> list[str]:
    chosen = [v for v in (values or ()) if isinstance(v, str)]
    if not chosen or any(v not in EVENT_TYPES for v in chosen):
        message = _l("Choose at least one event to receive.")
        raise ValidationFailed(message, fields={"events": [message]})
    return [t for t in EVENT_TYPES if t in chosen]


def _checked(org: Organization, url, events, *, adding: bool) -> tuple[str, list[str]]:
    """Checked in one round; the host name is looked up only once everything else is right."""
    errors: dict[str, list] = {}
    for check in (lambda: addresses.parse(url), lambda: _clean_events(events)):
        try:
            check()
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if adding and len(endpoints(org)) >= MAX_ENDPOINTS:
        errors.setdefault("url", []).append(
            _l("An organisation can have at most %(num)d endpoints.", num=MAX_ENDPOINTS)
        )
    if errors:
        raise ValidationFailed(fields=errors)
    addresses.check(url)  # resolved: every address public (unless allowed)
    return url.strip(), _clean_events(events)


def add_endpoint(org: Organization, actor, url, events) -> WebhookEndpoint:
    url, chosen = _checked(org, url, events, adding=True)
    endpoint = WebhookEndpoint(
        org_id=org.id, url=url, events=chosen, secret=new_secret(), enabled=True
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.added", actor=actor, org=org, endpoint_id=endpoint.id, url=endpoint.url)
    return endpoint


def edit_endpoint(endpoint: WebhookEndpoint, actor, url, events) -> None:
    """A new address or other events, checked as when adding. Events already queued keep
    their place and go to the new address; events no longer chosen are not queued from now."""
    url, chosen = _checked(endpoint.org, url, events, adding=False)
    before = {"url": endpoint.url, "events": list(endpoint.events)}
    endpoint.url, endpoint.events = url, chosen
    db.session.flush()
    audit.record("webhook.changed", actor=actor, org_id=endpoint.org_id,
                 endpoint_id=endpoint.id, before=before, url=url, events=chosen)  # fmt: skip


def rotate_secret(endpoint: WebhookEndpoint, actor) -> None:
    endpoint.secret = new_secret()
    audit.record("webhook.secret_rotated", actor=actor, org_id=endpoint.org_id,
                 endpoint_id=endpoint.id)  # fmt: skip
    db.session.flush()


def enable(endpoint: WebhookEndpoint, actor) -> None:
    """On again: its waiting deliveries are due now, in order."""
    endpoint.enabled = True
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(next_attempt_at=utcnow())
    )
    audit.record("webhook.enabled", actor=actor, org_id=endpoint.org_id, endpoint_id=endpoint.id)
    db.session.flush()


def remove(endpoint: WebhookEndpoint, actor) -> None:
    audit.record("webhook.removed", actor=actor, org_id=endpoint.org_id,
                 endpoint_id=endpoint.id, url=endpoint.url)  # fmt: skip
    db.session.delete(endpoint)
    db.session.flush()


def send_test(endpoint: WebhookEndpoint, actor) -> str:
    """Queue a test event for this endpoint only; its event id."""
    return enqueue(
        endpoint.org_id,
        TEST_EVENT,
        f"test:{endpoint.id}",
        {"message": "Kakawari test event", "sent_by": actor.id, "at": iso(utcnow())},
        only=endpoint,
    )


def deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()
