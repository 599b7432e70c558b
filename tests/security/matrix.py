"""Shared vocabulary of the authorization matrix: roles and expected-status shorthands.

Each area lists its routes in tests/security/routes_<area>.py as ROWS (pages) and API_ROWS,
and may define `targets(app, world) -> dict` for the ids its paths need.
"""

#: "viewer": views the first organisation's programme (委託元) through an organisation of its
#: own; a row without a "viewer" status expects what "other" gets (with_viewer)
ROLES = (
    "anonymous",
    "participant",
    "staff",
    "organizer",
    "owner",
    "other",
    "admin",
    "viewer",
)


def with_viewer(expected: dict) -> dict:
    """A row's statuses, the viewer's defaulting to another organisation's member's: a viewer
    is no member of the organisation it views."""
    return {"viewer": expected["other"], **expected}


def everyone(status):
    return dict.fromkeys(ROLES, status)


PUBLIC = everyone(200)
GUESTS = {**everyone(302), "anonymous": 200}  # logged-in people are sent on
USER = {**everyone(200), "anonymous": 302}
STAFF_UP = {
    "anonymous": 302,
    "participant": 404,
    "staff": 200,
    "organizer": 200,
    "owner": 200,
    "other": 404,
    "admin": 404,
}


def owner_only(ok):
    return {
        "anonymous": 302,
        "participant": 404,
        "staff": 403,
        "organizer": 403,
        "owner": ok,
        "other": 404,
        "admin": 404,
    }


ADMIN = {**everyone(403), "anonymous": 302, "admin": 200}
API_USER = {**everyone(200), "anonymous": 401}
