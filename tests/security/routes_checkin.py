"""Routes of the venue scanner pages (受付), for the authorization matrix."""

from tests.checkin.helpers import series_happening_now
from tests.security.matrix import PUBLIC, STAFF_UP

ROWS = [
    ("checkin.start", "GET", "/orgs/{org}/checkin", None, STAFF_UP),
    ("checkin.scanner", "GET", "/orgs/{org}/checkin/sessions/{checkin_session}", None, STAFF_UP),
    ("checkin.service_worker", "GET", "/checkin/sw.js", None, PUBLIC),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        return {"checkin_session": series.sessions[0].id}
