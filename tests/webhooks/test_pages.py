"""The owner's pages: adding an endpoint (refused into private networks), its secret (made
anew on demand), the test event and the delivery log; nobody else sees any of it."""

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.webhooks.models import WebhookEndpoint
from tests.conftest import csrf_token, login, post_form
from tests.webhooks.conftest import add_endpoint


def _owner(app, world):
    client = app.test_client()
    login(client, world["emails"]["owner"])
    return client


def _endpoints() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://192.168.0.10/hook",
    ],
)
def test_private_and_local_addresses_are_refused(app, ctx, world, monkeypatch, url):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    client = _owner(app, world)
    path = f"/orgs/{world['org']}/webhooks"
    response = post_form(
        client, path, {"url": url, "events": ["registration.confirmed"]}, token_from=path
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "プライベート" in html or "private" in html
    assert _endpoints() == 0


def test_http_only_to_the_configured_hosts_and_events_needed(app, ctx, world, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_HTTP_HOSTS", ())
    client = _owner(app, world)
    path = f"/orgs/{world['org']}/webhooks"
    response = post_form(client, path, {"url": "http://127.0.0.1:9/hook"}, token_from=path)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('class="error"') >= 2  # the address, and no event chosen
    assert _endpoints() == 0


def test_the_owner_adds_an_endpoint_rotates_its_secret_and_sends_a_test(
    app, ctx, world, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOKS_DELIVERY", "inline")
    client = _owner(app, world)
    path = f"/orgs/{world['org']}/webhooks"
    response = post_form(
        client,
        path,
        {"url": receiver.url, "events": ["registration.confirmed", "checkin.created"]},
        token_from=path,
    )
    assert response.status_code == 302
    page = response.headers["Location"]
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.events == ["registration.confirmed", "checkin.created"]
    assert endpoint.secret in client.get(page).get_data(as_text=True)

    old = endpoint.secret
    post_form(client, f"{page}/rotate", token_from=page)
    db.session.expire_all()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")

    post_form(client, f"{page}/test", token_from=page)
    assert receiver.types() == ["webhook.test"]
    html = client.get(page).get_data(as_text=True)
    assert "webhook.test" in html and re.search(r"配信済み|Delivered", html)


def test_another_organisation_sees_nothing_and_organisers_may_not(app, ctx, world, receiver):
    endpoint_id, secret = add_endpoint(world["org"], receiver.url)
    page = f"/orgs/{world['org']}/webhooks/{endpoint_id}"
    other = app.test_client()
    login(other, world["emails"]["other"])
    assert other.get(page).status_code == 404
    # the other owner's own organisation, with this endpoint's id: still not found
    foreign = f"/orgs/{world['other_org']}/webhooks/{endpoint_id}"
    assert other.get(foreign).status_code == 404
    token = csrf_token(other, "/account")
    for action in ("test", "rotate", "enable", "remove", "edit"):
        response = other.post(f"{foreign}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    organizer = app.test_client()
    login(organizer, world["emails"]["organizer"])
    assert organizer.get(page).status_code == 403
    assert secret not in organizer.get(f"/orgs/{world['org']}/settings").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint_id).secret == secret


def test_the_owner_changes_an_endpoints_address_and_events_checked_as_when_adding(
    app, ctx, world, receiver, monkeypatch
):
    endpoint_id, secret = add_endpoint(world["org"], receiver.url, ["registration.confirmed"])
    client = _owner(app, world)
    page = f"/orgs/{world['org']}/webhooks/{endpoint_id}"
    html = client.get(page).get_data(as_text=True)
    assert 'id="edit-endpoint"' in html and receiver.url in html

    moved = receiver.url.replace("/hook", "/hook-v2")
    wanted = {"url": moved, "events": ["checkin.created", "registration.cancelled"]}
    response = post_form(client, f"{page}/edit", wanted, token_from=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.url == moved
    assert endpoint.events == ["registration.cancelled", "checkin.created"]  # the list's order
    assert endpoint.secret == secret  # the secret stays
    changed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.event == "webhook.changed")
    ).one()
    assert changed.details["before"]["url"] == receiver.url

    # into a private network, and with no event: refused, nothing changed
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    refused = post_form(
        client, f"{page}/edit", {"url": "https://10.0.0.8/hook", "events": ["checkin.created"]},
        token_from=page,
    )  # fmt: skip
    assert refused.status_code == 422
    assert "プライベート" in refused.get_data(as_text=True)
    empty = post_form(client, f"{page}/edit", {"url": moved}, token_from=page)
    assert empty.status_code == 422
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.url == moved and endpoint.events == [
        "registration.cancelled",
        "checkin.created",
    ]
