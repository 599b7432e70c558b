"""Deliveries are signed as the Standard Webhooks spec says: checked here by a verifier of the
test's own, from the spec, not by the app's code."""

import base64
import hashlib
import hmac
import time

from app.extensions import db
from app.registration import services as reg
from app.webhooks import sender
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.webhooks.conftest import add_endpoint


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """Standard Webhooks: v1 signatures are base64(HMAC-SHA256(key, id.timestamp.body)), the
    key being the base64 part of "whsec_..."; the timestamp within a few minutes of now."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s[:3] == "v1,"]
    return any(hmac.compare_digest(expected, s) for s in offered)


def test_a_delivery_verifies_with_the_secret_and_not_with_another(app, ctx, world, receiver):
    _endpoint_id, secret = add_endpoint(world["org"], receiver.url)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    series = make_series(world["org"])
    registration = reg.register(
        series, create_user("p@example.jp", name="山田 花子"), mode="venue", consent=True
    )
    db.session.commit()
    sender.drain()

    (got,) = receiver.wait_for(1)
    assert verify(secret, got["headers"], got["body"])
    _other_id, other_secret = add_endpoint(world["org"], receiver.url + "2")
    assert not verify(other_secret, got["headers"], got["body"])
    assert not verify(secret, got["headers"], got["body"] + b" ")
    event = got["json"]
    assert got["headers"]["webhook-id"] == event["id"]
    assert event["type"] == "registration.confirmed"
    assert event["organisation"]["id"] == world["org"]
    data = event["data"]["registration"]
    assert data["id"] == registration.id and data["status"] == "confirmed"
    assert data["person"]["name"] == "山田 花子" and "email" not in data["person"]
