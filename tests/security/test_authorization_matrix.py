"""Who may use what: every route of the app for anonymous, participant, staff, organiser,
owner, a member of another organisation, and a site admin.

The matrix must cover every endpoint: a new route without a row here fails
`test_matrix_covers_every_route`, and a route without a declared policy fails
`test_every_route_declares_who_may_use_it`.
"""

from datetime import timedelta

import pytest

from app.accounts.services import create_api_token, make_reset_token
from app.core.access import policy_of
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Invitation, Membership, Role
from tests.conftest import create_user, csrf_token, login

ROLES = ("anonymous", "participant", "staff", "organizer", "owner", "other", "admin")


def everyone(status):
    return dict.fromkeys(ROLES, status)


PUBLIC = everyone(200)
GUESTS = {**everyone(302), "anonymous": 200}  # logged-in people are sent on
USER = {**everyone(200), "anonymous": 302}
STAFF_UP = {"anonymous": 302, "participant": 404, "staff": 200, "organizer": 200, "owner": 200,
            "other": 404, "admin": 404}  # fmt: skip


def owner_only(ok):
    return {"anonymous": 302, "participant": 404, "staff": 403, "organizer": 403, "owner": ok,
            "other": 404, "admin": 404}  # fmt: skip


ADMIN = {**everyone(403), "anonymous": 302, "admin": 200}
API_USER = {**everyone(200), "anonymous": 401}

# endpoint, method, path template, form/json body, expected status per role
PAGES = [
    ("main.index", "GET", "/", None, PUBLIC),
    ("main.privacy", "GET", "/privacy", None, PUBLIC),
    ("accounts.signup", "GET", "/signup", None, GUESTS),
    ("accounts.login", "GET", "/login", None, GUESTS),
    ("accounts.logout", "POST", "/logout", {}, everyone(302)),
    ("accounts.set_locale", "POST", "/locale", {"locale": "en"}, everyone(302)),
    ("accounts.profile", "GET", "/account", None, USER),
    ("accounts.change_password", "GET", "/account/password", None, USER),
    ("accounts.create_token", "POST", "/account/tokens", {"name": "t"}, USER),
    ("accounts.revoke_token", "POST", "/account/tokens/{foreign_token}/revoke", {},
     {**everyone(302)}),
    ("accounts.delete_account", "GET", "/account/delete", None, USER),
    ("accounts.forgot_password", "GET", "/password/forgot", None, PUBLIC),
    ("accounts.reset_password", "GET", "/password/reset/{reset_token}", None, PUBLIC),
    ("orgs.my_orgs", "GET", "/orgs", None, USER),
    ("orgs.overview", "GET", "/orgs/{org}", None, STAFF_UP),
    ("orgs.members", "GET", "/orgs/{org}/members", None, owner_only(200)),
    ("orgs.audit_log", "GET", "/orgs/{org}/audit", None, owner_only(200)),
    ("orgs.invite", "POST", "/orgs/{org}/invitations", {"email": "n@example.jp",
     "role": "staff"}, owner_only(302)),
    ("orgs.invitation", "GET", "/invitations/{invitation_token}", None, PUBLIC),
    ("orgs.revoke_invitation", "POST", "/orgs/{org}/invitations/{invitation}/revoke", {},
     owner_only(302)),
    ("orgs.change_role", "POST", "/orgs/{org}/members/{member_a}/role", {"role": "organizer"},
     owner_only(302)),
    ("orgs.remove_member", "POST", "/orgs/{org}/members/{member_b}/remove", {},
     owner_only(302)),
    ("admin.index", "GET", "/admin/", None, ADMIN),
    ("api_docs", "GET", "/api/v1/docs", None, PUBLIC),
]  # fmt: skip

API = [
    ("api-docs.openapi_json", "GET", "/api/v1/openapi.json", None, PUBLIC),
    ("api_accounts.create_token", "POST", "/api/v1/auth/token",
     {"email": "participant@example.jp", "password": "correct-horse-9"}, everyone(201)),
    ("api_accounts.list_tokens", "GET", "/api/v1/auth/tokens", None, API_USER),
    ("api_accounts.revoke_token", "DELETE", "/api/v1/auth/tokens/{foreign_token}", None,
     {**everyone(404), "anonymous": 401, "other": 204}),  # it is "other"'s token
    ("api_accounts.signup", "POST", "/api/v1/users",
     {"email": "new@example.jp", "password": "long-enough-pass", "name": "新 人",
      "furigana": "しん じん", "prefecture": "13", "relations": [], "consent": True},
     everyone(201)),
    ("api_accounts.me", "GET", "/api/v1/me", None, API_USER),
    ("api_orgs.create_org", "POST", "/api/v1/orgs", {"name": "雲南市"},
     {**everyone(201), "anonymous": 401}),
]  # fmt: skip


@pytest.fixture
def targets(app, world):
    """Things the routes point at, all in `world`'s first organisation."""
    with app.app_context():
        a = create_user("member.a@example.jp")
        b = create_user("member.b@example.jp")
        ma = Membership(org_id=world["org"], user=a, role=Role.staff)
        mb = Membership(org_id=world["org"], user=b, role=Role.staff)
        inv = Invitation(
            org_id=world["org"],
            email="invitee@example.jp",
            role=Role.staff,
            token_hash=hash_secret("invite-secret"),
            expires_at=utcnow() + timedelta(days=3),
        )
        db.session.add_all([ma, mb, inv])
        db.session.commit()
        token, _ = create_api_token(db.session.get(type(a), world["other"]), "someone else's")
        participant = db.session.get(type(a), world["participant"])
        return {
            "org": world["org"],
            "member_a": ma.id,
            "member_b": mb.id,
            "invitation": inv.id,
            "invitation_token": "invite-secret",
            "foreign_token": token.id,
            "reset_token": make_reset_token(participant),
        }


def _client_for(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, world["emails"][role])
    return client


def _api_token(app, world, role):
    if role == "anonymous":
        return None
    with app.app_context():
        from app.accounts.models import User

        return create_api_token(db.session.get(User, world[role]), "matrix")[1]


@pytest.mark.parametrize("role", ROLES)
def test_pages(app, world, targets, role):
    client = _client_for(app, world, role)
    token = csrf_token(client, "/login" if role == "anonymous" else "/account")
    wrong = []
    for endpoint, method, path, body, expected in PAGES:
        url = path.format(**targets)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={**body, "csrf_token": token})
        if response.status_code != expected[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
        if endpoint == "accounts.logout" and role != "anonymous":
            login(client, world["emails"][role])  # log back in for the rest of the matrix
            token = csrf_token(client, "/account")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_api(app, world, targets, role):
    client = app.test_client()
    secret = _api_token(app, world, role)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    wrong = []
    for _endpoint, method, path, body, expected in API:
        response = client.open(path.format(**targets), method=method, json=body, headers=headers)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {path}: {response.status_code}, expected {expected[role]}")
        if response.status_code >= 400:
            assert response.is_json and "code" in response.json["error"], path
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_matrix_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    covered = {row[0] for row in PAGES + API}
    assert endpoints - covered == set(), "add these routes to the authorization matrix"


def test_every_route_declares_who_may_use_it(app):
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and policy_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []
