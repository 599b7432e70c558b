"""Routes of the venue scanner pages (受付), for the authorization matrix.

Staff open a session's scanner only around it (from the day before check-in opens until shortly
after it ends); organisers and owners any of the organisation's venue sessions. An online-only
session has no scanner for anyone.
"""

from datetime import timedelta

from app.core.types import utcnow
from app.extensions import db
from tests.checkin.helpers import series_happening_now, two_venue_series
from tests.registration.factories import make_series
from tests.security.matrix import PUBLIC, STAFF_UP

SCANNER = "/orgs/{org}/checkin/sessions/"
TOKYO = "/venues/{checkin_tokyo}"
#: a venue session that ended three days ago: its names are no longer staff's business
AFTERWARDS = {**STAFF_UP, "staff": 403}
NOWHERE = {**STAFF_UP, "staff": 404, "organizer": 404, "owner": 404}

ROWS = [
    ("checkin.start", "GET", "/orgs/{org}/checkin", None, STAFF_UP),
    ("checkin.scanner", "GET", SCANNER + "{checkin_session}", None, STAFF_UP),
    ("checkin.scanner", "GET", SCANNER + "{checkin_past}", None, AFTERWARDS),
    ("checkin.scanner", "GET", SCANNER + "{checkin_online}", None, NOWHERE),
    # サテライト会場: the choice of venue, then each venue's own scanner
    ("checkin.scanner", "GET", SCANNER + "{checkin_two_venues}", None, STAFF_UP),
    ("checkin.venue_scanner", "GET", SCANNER + "{checkin_two_venues}" + TOKYO, None, STAFF_UP),
    # another session's venue is not this session's
    ("checkin.venue_scanner", "GET", SCANNER + "{checkin_session}" + TOKYO, None, NOWHERE),
    ("checkin.service_worker", "GET", "/checkin/sw.js", None, PUBLIC),
    ("checkin.manifest", "GET", "/orgs/{org}/checkin/manifest.webmanifest", None, PUBLIC),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
        past = make_series(world["org"], sessions=[("venue", 5, None)]).sessions[0]
        past.starts_at = utcnow() - timedelta(days=3, hours=2)
        past.ends_at = utcnow() - timedelta(days=3)
        online = series_happening_now(world["org"], sessions=[("online", None, 5)])
        _, two_venues, _, tokyo = two_venue_series(world["org"])
        db.session.commit()
        return {
            "checkin_session": series.sessions[0].id,
            "checkin_past": past.id,
            "checkin_online": online.sessions[0].id,
            "checkin_two_venues": two_venues.id,
            "checkin_tokyo": tokyo.id,
        }
