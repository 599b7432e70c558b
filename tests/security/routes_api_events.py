"""API routes of series, sessions and registrations, for the authorization matrix."""

from app.accounts.models import User
from app.extensions import db
from app.registration import services as reg
from tests.registration.factories import make_series
from tests.security.matrix import API_USER, PUBLIC, everyone
from tests.security.routes_events import organizers


def organizers_only(ok):
    """As for the organiser pages, but the API answers 401 where a page sends to the login."""
    return {**organizers(ok), "anonymous": 401}


SESSION = {
    "title": "第2回",
    "starts_at": "2030-08-24T13:30:00+09:00",
    "ends_at": "2030-08-24T17:30:00+09:00",
    "format": "online",
    "online_capacity": 100,
}

API_ROWS = [
    ("api_events.list_series", "GET", "/api/v1/series", None, PUBLIC),
    ("api_events.get_series", "GET", "/api/v1/series/{series}", None, PUBLIC),
    ("api_events.create_series", "POST", "/api/v1/orgs/{org}/series", {"title": "新講座"},
     organizers_only(201)),
    ("api_events.add_session", "POST", "/api/v1/series/{series}/sessions", SESSION,
     organizers_only(201)),
    ("api_registration.register", "POST", "/api/v1/series/{series}/registrations",
     {"mode": "online", "consent": True}, {**everyone(201), "anonymous": 401}),
    ("api_registration.my_registrations", "GET", "/api/v1/me/registrations", None, API_USER),
    # the participant's own place, switched before the registration is cancelled below
    ("api_registration.switch_place", "POST",
     "/api/v1/registrations/{registration}/sessions/{registered_session}/switch",
     {"mode": "online"}, {**everyone(404), "anonymous": 401, "participant": 200}),
    ("api_registration.cancel_registration", "DELETE", "/api/v1/registrations/{registration}",
     None, {**everyone(404), "anonymous": 401, "participant": 200}),  # the participant's own
    ("api_registration.add_sessions", "POST", "/api/v1/registrations/{registration}/sessions",
     {"session_ids": []}, {**everyone(404), "anonymous": 401, "participant": 422}),  # own
    ("api_registration.list_registrations", "GET", "/api/v1/series/{series}/registrations",
     None, organizers_only(200)),
]  # fmt: skip


def targets(app, world):
    """An open series of `world`'s first organisation, and the participant's registration for
    another series of it."""
    with app.app_context():
        series = make_series(world["org"])
        registered = make_series(world["org"], title="申込済みの講座")
        participant = db.session.get(User, world["participant"])
        registration = reg.register(registered, participant, mode="venue", consent=True)
        return {
            "org": world["org"],
            "series": series.id,
            "registration": registration.id,
            "registered_session": registered.sessions[0].id,
        }
