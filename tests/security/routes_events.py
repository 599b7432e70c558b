"""Organiser pages of series and sessions, for the authorization matrix."""

from tests.registration.factories import make_series


def organizers(ok):
    """Organisers and owners of the organisation; staff are refused, other tenants (and the
    site admin, who is no member) are told it does not exist."""
    return {
        "anonymous": 302,
        "participant": 404,
        "staff": 403,
        "organizer": ok,
        "owner": ok,
        "other": 404,
        "admin": 404,
    }


SERIES = "/orgs/{org}/series/{ev_series}"
SESSION = SERIES + "/sessions/{ev_session}"

ROWS = [
    ("events.series_list", "GET", "/orgs/{org}/series", None, organizers(200)),
    ("events.new_series", "GET", "/orgs/{org}/series/new", None, organizers(200)),
    ("events.new_series", "POST", "/orgs/{org}/series/new", {"title": ""}, organizers(422)),
    ("events.edit_series", "GET", SERIES + "/edit", None, organizers(200)),
    ("events.questions", "GET", SERIES + "/questions", None, organizers(200)),
    ("events.new_session", "GET", SERIES + "/sessions/new", None, organizers(200)),
    ("events.edit_session", "GET", SESSION + "/edit", None, organizers(200)),
    ("events.unpublish_series", "POST", SERIES + "/unpublish", {}, organizers(302)),
    ("events.publish_series", "POST", SERIES + "/publish", {}, organizers(302)),
    ("events.cancel_session", "POST", "/orgs/{org}/series/{ev_other}/sessions/{ev_other_session}"
     "/cancel", {}, organizers(302)),
    ("events.cancel_series", "POST", "/orgs/{org}/series/{ev_other}/cancel", {},
     organizers(302)),
    # a series of another organisation, through this one: not found even for its organisers
    ("events.edit_series", "GET", "/orgs/{org}/series/{ev_foreign}/edit", None,
     {**organizers(404), "staff": 403}),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = make_series(world["org"])
        other = make_series(world["org"], title="中止する講座")
        foreign = make_series(world["other_org"], title="ほかの町の講座")
        return {
            "ev_series": series.id,
            "ev_session": series.sessions[0].id,
            "ev_other": other.id,
            "ev_other_session": other.sessions[0].id,
            "ev_foreign": foreign.id,
        }
