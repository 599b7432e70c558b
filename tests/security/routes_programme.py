"""委託元 (viewers of an organisation's programme), for the authorization matrix: the viewer's
pages, file and API, the owner's viewers page and its actions, accepting an invitation.

The "viewer" of the matrix views world's organisation through its own organisation (島根県,
test_authorization_matrix.world); everybody else is told the viewer's pages do not exist."""

import secrets
from datetime import timedelta

from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.extensions import db
from app.programme.models import ViewerGrant, ViewerInvitation
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.security.matrix import everyone, owner_only

SERIES = "/programme/orgs/{org}/series/{pg_series}"


def viewers_only(ok):
    """The viewer alone; anonymous people are asked to log in, anybody else told it does not
    exist (a member of the viewed organisation is no viewer: their figures are elsewhere)."""
    return {**everyone(404), "anonymous": 302, "viewer": ok}


def api_viewers_only(ok):
    return {**everyone(404), "anonymous": 401, "viewer": ok}


def owners(ok):
    return {**owner_only(ok), "viewer": 404}


ROWS = [
    ("programme.overview", "GET", "/programme", None, viewers_only(200)),
    ("programme.overview", "GET", "/programme?year=1999", None, viewers_only(422)),
    ("programme.export_csv", "GET", "/programme/export.csv", None, viewers_only(200)),
    ("programme.series", "GET", SERIES, None, viewers_only(200)),
    # a series outside the programme, and another organisation's, do not exist for a viewer
    ("programme.series", "GET", "/programme/orgs/{org}/series/{pg_outside}", None,
     viewers_only(404)),
    ("programme.series", "GET", "/programme/orgs/{other_org}/series/{pg_foreign}", None,
     viewers_only(404)),
    ("programme.viewers", "GET", "/orgs/{org}/viewers", None, owners(200)),
    ("programme.invite", "POST", "/orgs/{org}/viewers/invitations",
     {"email": "city@example.jp", "kind": "org"}, owners(302)),
    ("programme.revoke_invitation", "POST",
     "/orgs/{org}/viewers/invitations/{pg_invitation}/revoke", {}, owners(302)),
    ("programme.revoke", "POST", "/orgs/{org}/viewers/{pg_person_grant}/revoke", {},
     owners(302)),
    ("programme.invitation", "GET", "/programme/invitations/{pg_token}", None,
     {**everyone(200), "viewer": 200}),
]  # fmt: skip

API_ROWS = [
    ("api_programme.programme", "GET", "/api/v1/programme", None, api_viewers_only(200)),
    ("api_programme.programme", "GET", "/api/v1/programme?year=1999", None,
     api_viewers_only(422)),
    ("api_programme.series", "GET", "/api/v1" + SERIES, None, api_viewers_only(200)),
    ("api_programme.series", "GET", "/api/v1/programme/orgs/{org}/series/{pg_outside}", None,
     api_viewers_only(404)),
]  # fmt: skip


def targets(app, world):
    with app.app_context():
        series = make_series(world["org"], title="委託事業の講座", in_programme=True)
        outside = make_series(world["org"], title="自主事業の講座")
        foreign = make_series(world["other_org"], title="ほかの団体の講座", in_programme=True)
        person = create_user("watcher@example.jp", name="見る 人")
        grant = ViewerGrant(org_id=world["org"], viewer_user_id=person.id)
        secret = secrets.token_urlsafe(32)
        invitations = [
            ViewerInvitation(
                org_id=world["org"],
                email=email,
                for_org=True,
                token_hash=hash_secret(token),
                expires_at=utcnow() + timedelta(days=14),
            )
            for email, token in (
                ("invited.city@example.jp", secret),  # opened
                ("withdrawn.city@example.jp", secrets.token_urlsafe(32)),  # withdrawn
            )
        ]
        db.session.add_all([grant, *invitations])
        db.session.commit()
        return {
            "other_org": world["other_org"],
            "pg_series": series.id,
            "pg_outside": outside.id,
            "pg_foreign": foreign.id,
            "pg_person_grant": grant.id,
            "pg_invitation": invitations[1].id,
            "pg_token": secret,
        }
