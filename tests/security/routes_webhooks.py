"""Webhooks: an organisation's endpoints, for the authorization matrix. Owners only; an
endpoint of another organisation is not found, even through this one's address."""

from app.extensions import db
from app.orgs.models import Organization
from app.webhooks import services
from tests.security.matrix import owner_only

EVENTS = ["registration.confirmed"]


def _foreign(ok):
    return {**owner_only(ok), "owner": 404}


ROWS = [
    ("webhooks.endpoints", "GET", "/orgs/{org}/webhooks", None, owner_only(200)),
    # no event chosen: the form again, 422, without an outbound lookup
    ("webhooks.add", "POST", "/orgs/{org}/webhooks", {"url": "https://example.jp/hook"},
     owner_only(422)),
    ("webhooks.endpoint", "GET", "/orgs/{org}/webhooks/{wh_endpoint}", None, owner_only(200)),
    ("webhooks.endpoint", "GET", "/orgs/{org}/webhooks/{wh_foreign}", None, _foreign(200)),
    ("webhooks.rotate", "POST", "/orgs/{org}/webhooks/{wh_endpoint}/rotate", {},
     owner_only(302)),
    ("webhooks.rotate", "POST", "/orgs/{org}/webhooks/{wh_foreign}/rotate", {}, _foreign(302)),
    ("webhooks.enable", "POST", "/orgs/{org}/webhooks/{wh_endpoint}/enable", {},
     owner_only(302)),
    ("webhooks.send_test", "POST", "/orgs/{org}/webhooks/{wh_foreign}/test", {},
     _foreign(302)),
    # no event chosen: the page again, 422, nothing changed and no outbound lookup
    ("webhooks.edit", "POST", "/orgs/{org}/webhooks/{wh_endpoint}/edit",
     {"url": "https://example.jp/hook"}, owner_only(422)),
    ("webhooks.edit", "POST", "/orgs/{org}/webhooks/{wh_foreign}/edit",
     {"url": "https://example.jp/hook"}, _foreign(422)),
    ("webhooks.remove", "POST", "/orgs/{org}/webhooks/{wh_foreign}/remove", {}, _foreign(302)),
]  # fmt: skip


def _endpoint(org_id: int) -> int:
    """Added directly (the URL is not resolved): the matrix needs no network."""
    endpoint = services.WebhookEndpoint(
        org_id=org_id, url="https://example.jp/hook", events=EVENTS, secret=services.new_secret()
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint.id


def targets(app, world):
    with app.app_context():
        assert db.session.get(Organization, world["other_org"]) is not None
        return {"wh_endpoint": _endpoint(world["org"]), "wh_foreign": _endpoint(world["other_org"])}
