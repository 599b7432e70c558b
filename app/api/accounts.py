"""API: tokens, sign-up, the current person."""

from flask_login import current_user
from marshmallow import Schema, fields
from marshmallow.validate import OneOf, Range

from app.accounts import scopes, services
from app.accounts.ratelimits import login_limits, mark_login_failed, signup_limit
from app.api import Blueprint, ErrorSchema
from app.api.scopes import CHECKIN, needs_scope
from app.core.access import login_required, public
from app.core.errors import InvalidCredentials, NotFound
from app.core.prefectures import prefecture_name
from app.extensions import db
from app.orgs.services import user_memberships

blp = Blueprint("api_accounts", __name__, description="Accounts and API tokens")

BEARER = [{"bearerAuth": []}]


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(metadata={"description": "What the token is for"})
    scope = fields.String(
        load_default=scopes.ORGANISER,
        validate=OneOf(list(scopes.SCOPES)),
        metadata={
            "description": "`read` (GET only), `checkin` (check-in operations and the reads a "
            "scanner needs) or `organiser` (everything your role allows; the default)"
        },
    )
    expires_in_days = fields.Integer(
        load_default=scopes.DEFAULT_EXPIRY_DAYS,
        validate=Range(1, scopes.MAX_EXPIRY_DAYS),
        metadata={"description": "Days until the token expires (default 90, at most 365)"},
    )


class TokenCreated(Schema):
    id = fields.Integer()
    name = fields.String()
    scope = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    token = fields.String(metadata={"description": "Shown once; send as `Bearer <token>`"})


class TokenInfo(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    scope = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "None: a token made before expiry existed"}
    )
    last_used_at = fields.DateTime(allow_none=True)


class SignupRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(required=True)
    furigana = fields.String(required=True, metadata={"description": "Hiragana or katakana"})
    prefecture = fields.Raw(
        required=True, metadata={"description": "Japanese name (東京都) or JIS code (13)"}
    )
    relations = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "Any of origin, former_resident, work, interest, other"},
    )
    consent = fields.Boolean(required=True, metadata={"description": "Privacy notice accepted"})
    locale = fields.String(load_default="ja", metadata={"description": "ja or en"})


class Prefecture(Schema):
    code = fields.String()
    name = fields.String()


class OrgRole(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class Me(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    furigana = fields.String()
    prefecture = fields.Nested(Prefecture)
    relations = fields.List(fields.String())
    locale = fields.String()
    is_admin = fields.Boolean()
    consent_at = fields.DateTime()
    orgs = fields.List(fields.Nested(OrgRole))


def me_payload(user) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "furigana": user.furigana,
        "prefecture": {"code": user.prefecture, "name": prefecture_name(user.prefecture, "ja")},
        "relations": user.relations,
        "locale": user.locale,
        "is_admin": user.is_admin,
        "consent_at": user.consent_at,
        "orgs": [
            {"id": m.org.id, "name": m.org.name, "role": m.role.value}
            for m in user_memberships(user)
        ],
    }


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(201, TokenCreated)
@blp.alt_response(401, schema=ErrorSchema, description="Wrong email or password")
@blp.alt_response(429, schema=ErrorSchema, description="Too many failed tries")
@login_limits
@public
def create_token(body):
    """Exchange email and password for an API token of a scope, for some days (failed tries
    are rate limited)."""
    try:
        user = services.authenticate(body["email"], body["password"])
    except InvalidCredentials:
        db.session.commit()  # the failed try is audited
        mark_login_failed()
        raise
    token, secret = services.create_api_token(
        user,
        body.get("name") or "API",
        scope=body["scope"],
        expires_in_days=body["expires_in_days"],
    )
    answer = {
        "id": token.id,
        "name": token.name,
        "scope": token.scope,
        "expires_at": token.expires_at,
        "token": secret,
    }
    db.session.commit()
    return answer


@blp.route("/auth/tokens", methods=["GET"])
@blp.response(200, TokenInfo(many=True))
@blp.doc(security=BEARER)
@login_required
def list_tokens():
    """The caller's active API tokens (secrets are never shown again)."""
    return services.list_api_tokens(current_user)


@blp.route("/auth/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=BEARER)
@login_required
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens."""
    if not services.revoke_api_token(current_user, token_id):
        raise NotFound()
    db.session.commit()
    return ""


@blp.route("/users", methods=["POST"])
@blp.arguments(SignupRequest)
@blp.response(201, Me)
@blp.alt_response(409, schema=ErrorSchema, description="Email address already used")
@signup_limit
@public
def signup(body):
    """Create an account, with the same rules as the sign-up page (rate limited per address)."""
    locale = body.pop("locale", "ja")
    user = services.register_user(body, locale=locale)
    answer = me_payload(user)
    db.session.commit()
    return answer


@blp.route("/me", methods=["GET"])
@needs_scope(CHECKIN)  # a scanner may ask whose token it holds
@blp.response(200, Me)
@blp.doc(security=BEARER)
@login_required
def me():
    """The caller, with their organisations and roles."""
    return me_payload(current_user)
