import pytest

from app.extensions import db
from app.orgs.models import Organization
from app.webhooks import services
from tests.webhooks.receiver import Receiver

ALL_EVENTS = [
    "registration.confirmed",
    "registration.waitlisted",
    "registration.promoted",
    "registration.cancelled",
    "checkin.created",
    "checkin.undone",
    "attendance.finalised",
    "certificate.issued",
    "certificate.withdrawn",
    "session.changed",
    "session.cancelled",
]


@pytest.fixture(autouse=True)
def _local_receivers(app, monkeypatch):
    """The receivers are on 127.0.0.1 over http: allowed here only. Deliveries wait for the
    test to drain them (the sender's own schedule), unless a test delivers inline."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_HTTP_HOSTS", ("127.0.0.1",))
    monkeypatch.setitem(app.config, "WEBHOOKS_DELIVERY", "worker")
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT_SECONDS", 3)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def add_endpoint(org_id: int, url: str, events=ALL_EVENTS):
    """An endpoint through the service, committed; its id and secret."""
    org = db.session.get(Organization, org_id)
    endpoint = services.add_endpoint(org, None, url, events)
    db.session.commit()
    return endpoint.id, endpoint.secret
