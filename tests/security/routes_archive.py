"""Routes of the archive (アーカイブ配信), for the authorization matrix.

The organiser's archive page is for organisers and owners of the organisation (staff 403,
everyone else 404); the archive page itself is for the people registered online for the
session (here "participant") while the window is open: anyone else logged in gets the page
that says why (403), never the recording."""

from datetime import timedelta

from app.accounts.models import User
from app.archive import services as archive
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.registration.factories import make_series
from tests.security.matrix import API_USER, everyone

ORGANISERS = {
    "anonymous": 302,
    "participant": 404,
    "staff": 403,
    "organizer": 200,
    "owner": 200,
    "other": 404,
    "admin": 404,
}
#: an empty form: the service refuses it beside the fields
SAVE = {**ORGANISERS, "organizer": 422, "owner": 422}
WATCH = {**everyone(403), "anonymous": 302, "participant": 200}
API_ORGANISERS = {**ORGANISERS, "anonymous": 401, "participant": 403}
API_BEAT = {**everyone(403), "anonymous": 401, "participant": 200}

MANAGE = "/orgs/{org}/series/{arch_series}/sessions/{arch_session}/archive"

ROWS = [
    ("archive.manage", "GET", MANAGE, None, ORGANISERS),
    ("archive.save", "POST", MANAGE, {}, SAVE),
    ("archive.watch", "GET", "/sessions/{arch_session}/archive", None, WATCH),
]  # fmt: skip

API_ROWS = [
    ("api_archive.get_archive", "GET", "/api/v1/sessions/{arch_session}/archive", None,
     API_ORGANISERS),
    ("api_archive.put_archive", "PUT", "/api/v1/sessions/{arch_session}/archive",
     {"url": "https://youtu.be/AbCdEfGhIjK", "published": True}, API_ORGANISERS),
    ("api_archive.session_viewing", "GET", "/api/v1/sessions/{arch_session}/archive/viewing",
     None, API_ORGANISERS),
    ("api_archive.my_archives", "GET", "/api/v1/me/archives", None, API_USER),
    ("api_archive.my_viewing", "GET", "/api/v1/me/archive-viewing", None, API_USER),
    ("api_archive.heartbeat", "POST", "/api/v1/sessions/{arch_session}/archive/heartbeat",
     {"tab": "matrix-tab-1"}, API_BEAT),
]  # fmt: skip


def targets(app, world):
    """A hybrid session that ended an hour ago, the participant registered online, and its
    archive published."""
    with app.app_context():
        series = make_series(world["org"], title="アーカイブのある講座")
        participant = db.session.get(User, world["participant"])
        reg.register(series, participant, mode="online", consent=True)
        session = series.sessions[0]
        session.ends_at = utcnow() - timedelta(hours=1)
        session.starts_at = session.ends_at - timedelta(hours=2)
        db.session.commit()
        organizer = db.session.get(User, world["organizer"])
        archive.save(session, organizer, {"url": "https://youtu.be/AbCdEfGhIjK", "published": True})
        db.session.commit()
        return {"org": world["org"], "arch_series": series.id, "arch_session": session.id}
