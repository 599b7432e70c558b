"""Routes of the check-in API, for the authorization matrix.

The session is one of `world`'s first organisation, happening now; the world's participant is
registered for its series (so a participant gets 403, not 404) and holds the ticket. Staff work a
session only around it (a session next week: 403 for them); an online-only session has no
list, counter or search (404) and refuses check-ins (`rejected`, `no_venue`).
"""

from app.checkin import services as checkin
from app.extensions import db
from app.registration import services as reg
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user
from tests.registration.factories import make_series

API_STAFF_UP = {
    "anonymous": 401,
    "participant": 403,
    "staff": 200,
    "organizer": 200,
    "owner": 200,
    "other": 404,
    "admin": 404,
}
# The matrix formats paths only: targets() fills in the registration to check in by hand.
MANUAL = {"registration_id": 0}
BASE = "/api/v1/sessions/{api_checkin_session}/checkins"

#: next week's session: organisers prepare it, staff see it from the day before
LATER = {**API_STAFF_UP, "participant": 404, "staff": 403}
NO_VENUE = {**API_STAFF_UP, "participant": 404, "staff": 404, "organizer": 404, "owner": 404}
LATER_BASE = "/api/v1/sessions/{api_checkin_later}/checkins"
ONLINE_BASE = "/api/v1/sessions/{api_checkin_online}/checkins"

API_ROWS = [
    ("api_checkin.scan", "POST", BASE, {"secret": "not-a-ticket"}, API_STAFF_UP),
    ("api_checkin.scan", "POST", LATER_BASE, {"secret": "not-a-ticket"}, LATER),
    ("api_checkin.offline_list", "GET", LATER_BASE + "/list", None, LATER),
    ("api_checkin.search", "GET", LATER_BASE + "/search?q=や", None, LATER),
    # an online-only session: a check-in is refused (rejected, no_venue), there is no list
    ("api_checkin.scan", "POST", ONLINE_BASE, {"secret": "not-a-ticket"},
     {**API_STAFF_UP, "participant": 404}),
    ("api_checkin.offline_list", "GET", ONLINE_BASE + "/list", None, NO_VENUE),
    ("api_checkin.status", "GET", ONLINE_BASE + "/status", None, NO_VENUE),
    ("api_checkin.search", "GET", ONLINE_BASE + "/search?q=や", None, NO_VENUE),
    ("api_checkin.sync", "POST", BASE + "/sync", {"scans": []}, API_STAFF_UP),
    ("api_checkin.manual", "POST", BASE + "/manual", MANUAL, API_STAFF_UP),
    ("api_checkin.offline_list", "GET", BASE + "/list", None, API_STAFF_UP),
    ("api_checkin.status", "GET", BASE + "/status", None, API_STAFF_UP),
    ("api_checkin.search", "GET", BASE + "/search?q=やまだ", None, API_STAFF_UP),
    ("api_checkin.undo", "DELETE", "/api/v1/checkins/{api_checkin}", None,
     {**API_STAFF_UP, "staff": 204, "organizer": 204, "owner": 204}),
    # The owner of the registration and organisers; staff check people in by name (404, as
    # the ticket page: checkin.tickets.ticket_for decides both).
    ("api_checkin.ticket_png", "GET", "/api/v1/registrations/{api_checkin_registration}/ticket.png",
     None, {**API_STAFF_UP, "participant": 200, "staff": 404}),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        from app.accounts.models import User

        series = series_happening_now(world["org"])
        session = series.sessions[0]
        participant = db.session.get(User, world["participant"])
        mine = reg.register(series, participant, mode="venue", consent=True)
        someone = reg.register(
            series, create_user("checked.in@example.jp"), mode="venue", consent=True
        )
        done = checkin.decide(session, None, registration=someone, source="manual")
        db.session.commit()  # services flush; the caller commits
        MANUAL["registration_id"] = mine.id
        later = make_series(world["org"], sessions=[("venue", 5, None)]).sessions[0]
        online = series_happening_now(world["org"], sessions=[("online", None, 5)]).sessions[0]
        return {
            "api_checkin_later": later.id,
            "api_checkin_online": online.id,
            "api_checkin_session": session.id,
            "api_checkin_registration": mine.id,
            "api_checkin": done.checkin.id,
        }
