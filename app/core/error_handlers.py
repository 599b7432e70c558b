"""One translation of errors into answers: a JSON error under /api/, a page everywhere else.

JSON errors always look like {"error": {"code": "...", "message": "...", "fields": {...}}}.
"""

import logging

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.core.errors import AuthenticationRequired, KakawariError
from app.extensions import db

log = logging.getLogger("kakawari.errors")

HTTP_CODES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("authentication_required", _l("Please log in.")),
    403: ("forbidden", _l("You do not have permission to do this.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("This conflicts with the current state.")),
    413: ("payload_too_large", _l("The request is too large.")),
    415: ("unsupported_media_type", _l("Send the request body as JSON.")),
    422: ("validation_error", _l("Some fields need your attention.")),
    429: ("rate_limited", _l("Too many attempts. Please wait a while and try again.")),
    500: ("internal_error", _l("Something went wrong on our side. Please try again.")),
    503: (
        "service_unavailable",
        _l("The service is briefly unavailable. Please try again in a moment."),
    ),
}
#: a retry may succeed: the database went away (restart, failover, network)
RETRY_AFTER_SECONDS = 5

# marshmallow's stock messages, so API validation errors also read in Japanese
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field is required."),
    "Not a valid string.": _l("Must be text."),
    "Not a valid boolean.": _l("Must be true or false."),
    "Not a valid integer.": _l("Must be a whole number."),
    "Not a valid list.": _l("Must be a list."),
    "Not a valid email address.": _l("Enter a valid email address."),
    "Not a valid datetime.": _l("Must be a date and time (ISO 8601)."),
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _translate(messages):
    if isinstance(messages, dict):
        return {str(k): _translate(val) for k, val in messages.items()}
    if isinstance(messages, list | tuple):
        return [_translate(m) for m in messages]
    return str(MARSHMALLOW_MESSAGES.get(str(messages), messages))


def json_error(code: str, message, status: int, fields=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


def _webargs_fields(exc: HTTPException):
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    # webargs nests by location ({"json": {...}}); a body that is not an object is {"json": [..]}
    merged = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            merged.update(value)
        else:
            merged["_" + str(location)] = value
    return {field: _messages(value) for field, value in _translate(merged).items()}


def _messages(value) -> list[str]:
    """The documented shape, a list of messages per field, also when marshmallow nests them by
    item or key ({"relations": {"0": [...]}}): the field's messages, once each."""
    if isinstance(value, dict):
        return list(dict.fromkeys(m for v in value.values() for m in _messages(v)))
    if isinstance(value, list | tuple):
        return list(dict.fromkeys(m for v in value for m in _messages(v)))
    return [str(value)]


def _database_away(exc: Exception) -> bool:
    return isinstance(exc, OperationalError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def register_error_handlers(app) -> None:
    @app.errorhandler(KakawariError)
    def handle_kakawari_error(exc: KakawariError):
        if wants_json():
            # e.g. the current ETag with a 412
            return jsonify(error=exc.to_dict()), exc.status, getattr(exc, "headers", None) or {}
        if isinstance(exc, AuthenticationRequired):
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return render_template("errors/error.html", status=exc.status, message=exc.message), (
            exc.status
        )

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError):
        message = _("Your session expired or the form was sent from elsewhere. Please try again.")
        if wants_json():
            return json_error("csrf_failed", message, 400)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        code, message = HTTP_CODES.get(status, ("error", exc.name))
        # Keep the exception's own headers (Allow on a 405), not its HTML content type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if wants_json():
            fields = _webargs_fields(exc) if status in (400, 422) else None
            body, status = json_error(code, message, status, fields)
            return body, status, headers
        return render_template("errors/error.html", status=status, message=message), status, headers

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        if _database_away(exc):
            # the database is restarting, failing over or out of connections: nothing was
            # written, and the client may retry (the scanner does, with the same nonce)
            log.warning("Database connection lost on %s %s: %s", request.method, request.path, exc)
            db.session.rollback()
            body, status, headers = handle_http_exception(ServiceUnavailable())
            return body, status, [*headers, ("Retry-After", str(RETRY_AFTER_SECONDS))]
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return handle_http_exception(InternalServerError())
