"""One error vocabulary: services raise these; pages show the message, the API returns the code.

Each error has a stable machine `code`, an HTTP `status` and a translated `message`.
"""

from flask_babel import lazy_gettext as _l


class KakawariError(Exception):
    code = "error"
    status = 400
    message = _l("Something went wrong.")

    def __init__(self, message=None, *, fields: dict[str, list] | None = None):
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        #: field name -> list of messages, for forms and the API's `fields` member
        self.fields = fields or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        return body


class ValidationFailed(KakawariError):
    code = "validation_error"
    status = 422
    message = _l("Some fields need your attention.")


class InvalidJson(KakawariError, ValueError):
    """A body that is no JSON we accept (also a ValueError: request.get_json(silent=True) then
    answers None)."""

    code = "invalid_json"
    status = 400
    message = _l("The body is not valid JSON.")


class AuthenticationRequired(KakawariError):
    code = "authentication_required"
    status = 401
    message = _l("Please log in.")


class InvalidCredentials(KakawariError):
    code = "invalid_credentials"
    status = 401
    message = _l("The email address or password is incorrect.")


class PermissionDenied(KakawariError):
    code = "forbidden"
    status = 403
    message = _l("You do not have permission to do this.")


class NotFound(KakawariError):
    code = "not_found"
    status = 404
    message = _l("Not found.")


class OutsideCheckinHours(PermissionDenied):
    code = "outside_checkin_hours"
    message = _l(
        "Staff can open a session's check-in only around it: from the day before until "
        "shortly after it ends."
    )


class Conflict(KakawariError):
    code = "conflict"
    status = 409
    message = _l("This conflicts with the current state.")


class EmailTaken(Conflict):
    code = "email_taken"
    message = _l("An account with this email address already exists.")


class LastOwner(Conflict):
    code = "last_owner"
    message = _l("An organisation must keep at least one owner.")


class InvalidToken(KakawariError):
    code = "invalid_token"
    status = 400
    message = _l("This link is invalid or has expired.")


class RateLimited(KakawariError):
    code = "rate_limited"
    status = 429
    message = _l("Too many attempts. Please wait a while and try again.")


class RegistrationNotOpen(Conflict):
    code = "registration_not_open"
    message = _l("Registration for this series has not opened yet.")


class RegistrationClosed(Conflict):
    code = "registration_closed"
    message = _l("Registration for this series is closed.")


class SessionFull(Conflict):
    code = "session_full"
    message = _l("This session is full and takes no waitlist.")


class SessionCancelled(Conflict):
    code = "session_cancelled"
    message = _l("This session has been cancelled.")


class SessionStarted(Conflict):
    code = "session_started"
    message = _l("This session has already started.")


class AlreadyRegistered(Conflict):
    code = "already_registered"
    message = _l("You are already registered for this series.")

    def __init__(self, message=None, *, registration_id: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.registration_id = registration_id

    def to_dict(self) -> dict:
        return {**super().to_dict(), "registration_id": self.registration_id}


class RoomClosed(Conflict):
    code = "room_closed"
    message = _l("The live room is not open now.")


class NotRegisteredOnline(PermissionDenied):
    code = "not_registered_online"
    message = _l("Only people registered to attend this session online may enter the room.")


class Muted(PermissionDenied):
    code = "muted"
    message = _l("An organiser has muted you in this room.")


# --- the API's own: tokens, conditional and repeated requests ----------------------------------


class TokenExpired(AuthenticationRequired):
    code = "token_expired"
    message = _l("The API token has expired. Make a new one on your account page.")


class TokenScope(PermissionDenied):
    code = "token_scope"
    message = _l("The API token's scope does not allow this operation.")

    def __init__(self, message=None, *, needed: str, **kwargs):
        super().__init__(message, **kwargs)
        self.needed = needed

    def to_dict(self) -> dict:
        return {**super().to_dict(), "needed_scope": self.needed}


class PreconditionFailed(KakawariError):
    """If-Match named another version than the current one: someone changed it meanwhile."""

    code = "precondition_failed"
    status = 412
    message = _l("Someone changed this in the meantime. Load it again and redo your change.")

    def __init__(self, message=None, *, etag: str, **kwargs):
        super().__init__(message, **kwargs)
        self.etag = etag
        self.headers = {"ETag": etag}

    def to_dict(self) -> dict:
        return {**super().to_dict(), "etag": self.etag}


class IdempotencyKeyReused(KakawariError):
    code = "idempotency_key_reused"
    status = 422
    message = _l("This Idempotency-Key was already used for a different request.")


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    message = _l("A request with this Idempotency-Key is still being processed. Retry shortly.")
