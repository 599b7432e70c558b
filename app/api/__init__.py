"""The JSON API under /api/v1 (flask-smorest: the OpenAPI document is generated from the code).

Authentication: `Authorization: Bearer <token>` (see POST /api/v1/auth/token), or the browser's
session cookie, in which case unsafe methods also need the CSRF token (X-CSRFToken header).
"""

import flask_smorest
from flask import g, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import Range
from sqlalchemy import event, update
from sqlalchemy.orm import Session as SessionBase
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from app.accounts.models import ApiToken
from app.accounts.scopes import SCOPES
from app.accounts.services import api_token_for, token_use_due
from app.api import document
from app.api.scopes import check_token_scope, needed_scope
from app.core.access import public
from app.core.errors import AuthenticationRequired, TokenExpired, ValidationFailed
from app.core.jsonbody import decode
from app.core.text import UNSTORABLE_MESSAGE, unstorable
from app.core.types import OUT_OF_RANGE, in_supported_range, utcnow
from app.core.urls import BoundedIntConverter, bounded_int_schema
from app.extensions import csrf, db, login_manager

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True)
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per field, for validation errors"},
    )


#: bounds of list paging: far beyond any list, short of an OFFSET overflow
PAGE_MAX = 10**6
PER_PAGE_MAX = 1000
#: rows per page when only `page` is given (the organisers' pages show as many)
PER_PAGE = 100


class PageQuery(Schema):
    """`page` and `per_page` of a list that answers with everything unless asked for a page."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(
        validate=Range(1, PAGE_MAX),
        metadata={"description": "Only this page of the rows, by furigana (from 1)"},
    )
    per_page = fields.Integer(
        validate=Range(1, PER_PAGE_MAX),
        metadata={"description": f"Rows per page ({PER_PAGE} when only `page`)"},
    )


def requested_slice(query: dict) -> tuple[int, int] | None:
    """(offset, limit) of the page a PageQuery asks for; None: everything. A page past the last
    is empty."""
    if "page" not in query and "per_page" not in query:
        return None
    per_page = query.get("per_page", PER_PAGE)
    return (query.get("page", 1) - 1) * per_page, per_page


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class InputParser(FlaskParser):
    """Every argument of the API passes here: JSON bodies through app.core.jsonbody (malformed
    or too deep: `invalid_json`; control characters or lone surrogates: `validation_error`), and
    query strings refuse the same text. A schema whose Meta says `any_text = True` lets control
    characters through to a view that answers them itself (a scanner's verdict on any QR code);
    lone surrogates never pass."""

    def load_json(self, req, schema):
        if not is_json_request(req):
            return missing
        return decode(req.get_data(cache=True), controls=not _any_text(schema))

    def load_querystring(self, req, schema):
        controls = not _any_text(schema)
        refused = {
            key: [UNSTORABLE_MESSAGE]
            for key, values in req.args.lists()
            if any(unstorable(v, controls=controls) for v in [key, *values])
        }
        if refused:
            raise ValidationFailed(fields=refused)
        return super().load_querystring(req, schema)


def _any_text(schema) -> bool:
    return bool(getattr(getattr(schema, "Meta", None), "any_text", False))


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: their arguments are read by InputParser; each operation is
    documented with an operationId (its endpoint's name) and the token scope it needs."""

    ARGUMENTS_PARSER = InputParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(document.headers_doc)

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            scope = needed_scope(doc, method)
            manual = doc.setdefault("manual_doc", {})
            manual.setdefault("operationId", endpoint)
            manual["x-token-scope"] = scope


class DateTime(fields.DateTime):
    """Every time the API reads: ISO 8601 within app.core.types.SUPPORTED_YEARS."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not in_supported_range(moment):
            raise ValidationError(str(OUT_OF_RANGE))
        return moment


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Errors are answered by app.core.error_handlers, for pages and API alike."""


api = Api()


def _check_api_auth():
    """A Bearer token, when sent, decides who the caller is (and must be valid); otherwise the
    session cookie does, and then unsafe methods need the CSRF token like any form."""
    if not request.path.startswith("/api/"):
        return
    if "Authorization" in request.headers:
        scheme, _, secret = request.headers["Authorization"].partition(" ")
        token = api_token_for(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise AuthenticationRequired(_l("The API token is missing, invalid or revoked."))
        now = utcnow()
        if token.expired(now):
            raise TokenExpired()
        check_token_scope(token)
        login_manager._update_request_context_with_user(token.user)  # for this request only
        g.token_auth = True
        if token_use_due(token, now):
            # written with whatever the request commits (registering: in the registration's
            # own transaction), or alone at the end (_commit_token_use)
            token.last_used_at = now
            g.token_use = (token.id, now)
    elif current_user.is_authenticated and request.method not in SAFE_METHODS:
        csrf.protect()


def _token_use_committed(_session) -> None:
    """Any commit during the request wrote the token's use along with it."""
    if has_request_context():
        g.pop("token_use", None)


def _commit_token_use(response):
    """A request that committed nothing (a read, a refused write) records the token's use here,
    alone; what it left uncommitted is dropped first, as the end of the request would."""
    use = g.pop("token_use", None)
    if use is not None:
        token_id, when = use
        db.session.rollback()
        touch = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
        db.session.execute(touch)
        db.session.commit()
    return response


def init_api(app) -> None:
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": "Kakawari's JSON API. Errors are "
                '`{"error": {"code": "...", "message": "..."}}`.'
            }
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": document.BEARER_DESCRIPTION},
    )
    api.register_converter(BoundedIntConverter, bounded_int_schema)

    from app.api import (
        accounts,
        archive,
        attendance,
        checkin,
        events,
        history,
        orgs,
        portal,
        programme,
        records,
        registration,
        surveys,
    )

    blps = (
        accounts.blp,
        orgs.blp,
        events.blp,
        registration.blp,
        checkin.blp,
        attendance.blp,
        history.blp,
        archive.blp,
        surveys.blp,
        records.blp,
        programme.blp,
        portal.blp,
    )
    for blp in blps:
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix="/api/v1")
    app.before_request(_check_api_auth)
    app.after_request(_commit_token_use)
    event.listen(SessionBase, "after_commit", _token_use_committed)

    # The document and its browsable page are public (smorest's view is a bound method, which
    # cannot carry the policy attribute, hence the small wrapper).
    spec_view = app.view_functions["api-docs.openapi_json"]

    @public
    def openapi_json():
        return spec_view()

    app.view_functions["api-docs.openapi_json"] = openapi_json

    @app.route("/api/v1/docs", endpoint="api_docs")
    @public
    def api_docs():
        return render_template("api/docs.html", scopes=SCOPES)
