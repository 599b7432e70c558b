"""The README's receiver example works: run against real deliveries, it takes those signed with
its secret (the endpoint records 204) and refuses them with another secret (401, retried)."""

import re
import threading
from http.server import HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration import services as reg
from app.webhooks import sender
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.webhooks.conftest import add_endpoint

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    after = text.split("A receiver in Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", after, re.S).group(1)
    assert code.rstrip().endswith("serve_forever()")
    return code.rstrip().rsplit("\n", 1)[0]  # all but starting the server on port 8000


@pytest.mark.parametrize("same_secret", [True, False])
def test_the_readme_receiver_checks_real_deliveries(app, ctx, world, same_secret):
    namespace: dict = {}
    exec(compile(_example(), "README.md", "exec"), namespace)  # noqa: S102 -- our own README
    server = HTTPServer(("127.0.0.1", 0), namespace["Hook"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _id, secret = add_endpoint(world["org"], f"http://127.0.0.1:{server.server_port}/")
        _other, other_secret = add_endpoint(world["other_org"], "http://127.0.0.1:9/")
        namespace["SECRET"] = secret if same_secret else other_secret
        series = make_series(world["org"])
        reg.register(series, create_user("readme@example.jp"), mode="venue", consent=True)
        db.session.commit()
        sender.drain()
    finally:
        server.shutdown()
        server.server_close()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    if same_secret:
        assert (delivery.status, delivery.response_code) == (DeliveryStatus.delivered, 204)
    else:
        assert (delivery.status, delivery.response_code) == (DeliveryStatus.pending, 401)
