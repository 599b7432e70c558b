"""Routes of accounts, organisations, admin and the API base, for the authorization matrix."""

from datetime import timedelta

from app.accounts.services import create_api_token, make_reset_token
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Invitation, Membership, Role
from tests.conftest import create_user
from tests.security.matrix import (
    ADMIN,
    API_USER,
    GUESTS,
    PUBLIC,
    STAFF_UP,
    USER,
    everyone,
    owner_only,
)

# endpoint, method, path template, form/json body, expected status per role
ROWS = [
    ("main.index", "GET", "/", None, PUBLIC),
    ("main.mypage", "GET", "/me", None, USER),
    ("main.privacy", "GET", "/privacy", None, PUBLIC),
    ("ops.healthz", "GET", "/healthz", None, PUBLIC),
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

API_ROWS = [
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
        db.session.commit()
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
