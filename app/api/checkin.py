"""API: tickets and venue check-in (受付).

Every verdict comes from app.checkin.services.decide(), the one function the scanner page, this
API and the offline sync share: these views parse, authorise, call it and answer. A scan that
cannot admit anyone is a `rejected` verdict (200) with its reason, never an error.

Who may call: staff (or above) of the session's organisation. Another organisation's people get
404 (its sessions do not exist for them); a participant of the series gets 403. Staff (role
staff) work a session only around it (checkin.services.door_window: from a day before check-in
opens until the sync deadline after it ends), else 403 `outside_checkin_hours`; organisers and
owners at any time. A session without a venue takes no check-in (`rejected`, `no_venue`) and has
no list, counter or search (404).
"""

import logging
from functools import wraps

from flask import Response, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import Length, Range, Regexp
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import Blueprint, ErrorSchema
from app.api.access import require_role_in
from app.api.accounts import BEARER
from app.checkin import services as checkin
from app.checkin.models import CheckIn
from app.checkin.queries import registration_with_places
from app.checkin.tickets import qr_png, ticket_for
from app.core.access import declare, login_required, require_user
from app.core.error_handlers import _translate
from app.core.errors import KakawariError, NotFound, ValidationFailed
from app.core.text import printable
from app.core.types import utcnow
from app.events.models import Mode, Session
from app.extensions import db
from app.orgs.models import Role
from app.registration.models import PlaceStatus, Registration

log = logging.getLogger("kakawari.checkin")

blp = Blueprint("api_checkin", __name__, description="Tickets and check-in (受付)")

#: how many queued scans one sync request may carry
MAX_SYNC_BATCH = 500
RECENT_CHECKINS = 20
STATUSES = ["ok", "already_checked_in", "rejected"]
REASONS = [r.value for r in checkin.Reason]
MODES = [m.value for m in Mode]
EXAMPLE_TIME = "2026-08-24T13:05:00+09:00"
PNG = {"schema": {"type": "string", "format": "binary"}}
MAX_ID = 2**31 - 1
NONCE = Regexp(r"^[\x21-\x7e]{1,64}$", error=_l("Use 1 to 64 visible ASCII characters."))


def _known_id(value: int) -> int:
    """Ids are 32-bit: a larger one in a URL is simply not there (SQLite would overflow)."""
    if value > MAX_ID:
        raise NotFound()
    return value


# --- access ------------------------------------------------------------------------------------


def require_staff_of(session: Session) -> None:
    """Staff or above of the session's organisation (a participant of the series gets 403,
    anybody else outside the organisation 404); staff only around the session (403)."""
    require_role_in(session.series, Role.staff)
    checkin.require_at_the_door(session, g.membership.role)


def session_staff(view=None, *, venue_only: bool = False):
    """For routes keyed by `session_id`: the view receives the loaded `session`. With
    `venue_only`, a session without a venue is not there (404)."""
    if view is None:
        return lambda v: session_staff(v, venue_only=venue_only)

    @wraps(view)
    def wrapper(*args, session_id, **kwargs):
        require_user()
        options = [joinedload(Session.series)]  # the series' org decides: one query, not two
        session = db.session.get(Session, _known_id(session_id), options=options)
        if session is None:
            raise NotFound()
        require_role_in(session.series, Role.staff)
        if venue_only and not checkin.has_venue(session):
            raise NotFound()
        checkin.require_at_the_door(session, g.membership.role)
        return view(*args, session=session, **kwargs)

    return declare(wrapper, "org:staff")


def _staff_of_checkin(view):
    @wraps(view)
    def wrapper(*args, checkin_id, **kwargs):
        require_user()
        found = checkin.get_checkin(_known_id(checkin_id))
        require_staff_of(found.session)
        return view(*args, found=found, **kwargs)

    return declare(wrapper, "org:staff")


# --- schemas -----------------------------------------------------------------------------------


def _secret_field(**kwargs):
    # Any JSON value is accepted: what is not a ticket's text is a `rejected` verdict, not a 422.
    return fields.Raw(
        metadata={"type": "string", "description": "The QR code's text, as scanned"}, **kwargs
    )


def _scanned_at(**kwargs):
    return fields.AwareDateTime(
        error_messages={
            "invalid_awareness": _l(
                "Give the time with its offset, e.g. 2026-08-24T13:30:00+09:00."
            )
        },
        metadata={"example": EXAMPLE_TIME, "description": "The device's scan time, with offset"},
        **kwargs,
    )


def _device_id():
    return fields.String(
        load_default="", metadata={"description": "The scanning phone (kept, at most 64 chars)"}
    )


class ScanRequest(Schema):
    class Meta:
        #: a scanner sends whatever it read: control characters get a verdict, not a 422
        any_text = True

    secret = _secret_field(required=True, allow_none=True)
    nonce = fields.String(
        validate=NONCE,
        metadata={"description": "Idempotency key: the same nonce again is the same scan"},
    )
    scanned_at = _scanned_at()
    device_id = _device_id()


class SyncScan(Schema):
    """One queued offline scan: a ticket's `secret`, or a `registration_id` checked in by hand
    from the downloaded list."""

    class Meta:
        unknown = EXCLUDE  # a newer scanner's extra fields must not lose its scans

    secret = _secret_field(allow_none=True)
    registration_id = fields.Integer(strict=True, validate=Range(1, MAX_ID))
    nonce = fields.String(required=True, validate=NONCE)
    scanned_at = _scanned_at(required=True)
    device_id = _device_id()
    offline_verdict = fields.String(
        allow_none=True,
        metadata={
            "enum": STATUSES,
            "description": '"ok" when the phone let the person in while offline',
        },
    )


class _EachOnItsOwn(fields.Nested):
    """Documented as its schema, but loaded one item at a time by the view: one bad scan gets
    its own error result and never fails the batch."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return value


class SyncRequest(Schema):
    class Meta:
        #: a scanner sends whatever it read: control characters get a verdict, not a 422
        any_text = True

    scans = fields.List(
        _EachOnItsOwn(SyncScan, allow_none=True),
        required=True,
        validate=Length(max=MAX_SYNC_BATCH),
        metadata={"description": f"At most {MAX_SYNC_BATCH} per request; see SyncScan"},
    )


class ManualRequest(Schema):
    registration_id = fields.Integer(strict=True, required=True, validate=Range(1, MAX_ID))
    nonce = fields.String(validate=NONCE)


class RegistrationBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(allow_none=True, metadata={"enum": MODES})


class Answer(Schema):
    label = fields.String()
    value = fields.String()


class VerdictOut(Schema):
    status = fields.String(metadata={"enum": STATUSES})
    reason = fields.String(allow_none=True, metadata={"enum": REASONS})
    message = fields.String(metadata={"description": "What to show, in the caller's language"})
    warning = fields.String(
        allow_none=True,
        metadata={"description": "registered_online: let in, their mode is now venue"},
    )
    duplicate = fields.Boolean(
        metadata={"description": "An offline admission of someone already in (flagged)"}
    )
    registration = fields.Nested(RegistrationBrief, allow_none=True)
    checkin_id = fields.Integer(allow_none=True)
    checked_in_at = fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "When the standing check-in happened"},
    )
    checked_in_by = fields.String(allow_none=True)
    answers = fields.List(
        fields.Nested(Answer), metadata={"description": "Answers shown at check-in"}
    )


class ItemError(Schema):
    code = fields.String(metadata={"example": "validation_error"})
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.Raw())


class SyncResult(VerdictOut):
    nonce = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": [*STATUSES, "error"]})
    error = fields.Nested(
        ItemError, metadata={"description": "Only with status `error`: this scan was not recorded"}
    )


class SyncResults(Schema):
    results = fields.List(fields.Nested(SyncResult), metadata={"description": "In scan order"})


class OfflineSession(Schema):
    id = fields.Integer()
    title = fields.String()
    series_title = fields.String()
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    checkin_opens_at = fields.DateTime()
    checkin_closes_at = fields.DateTime()


class OfflineEntry(Schema):
    hash = fields.String(metadata={"description": "SHA-256 (hex) of the ticket's secret"})
    registration_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(metadata={"enum": MODES})
    status = fields.String(metadata={"enum": [s.value for s in PlaceStatus]})
    checked_in = fields.Boolean()


class OfflineList(Schema):
    session = fields.Nested(OfflineSession)
    generated_at = fields.DateTime()
    entries = fields.List(fields.Nested(OfflineEntry))


class RecentCheckIn(Schema):
    id = fields.Integer()
    registration_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    checked_in_at = fields.DateTime()
    checked_in_by = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": ["scan", "manual", "offline"]})
    mode_changed = fields.Boolean()
    duplicate = fields.Boolean()


class StatusOut(Schema):
    expected = fields.Integer(metadata={"description": "Confirmed venue places"})
    checked_in = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "Flagged offline double admissions"})
    came_instead_of_online = fields.Integer()
    recent = fields.List(fields.Nested(RecentCheckIn), metadata={"description": "Newest first"})


class SearchQuery(Schema):
    class Meta:
        unknown = EXCLUDE
        any_text = True  # what was typed at the door is searched for, or finds nobody

    q = fields.String(
        load_default="",
        validate=Length(max=100),
        metadata={"description": "Name or ふりがな (any part, from 1 character), or a whole email"},
    )


class Person(Schema):
    id = fields.Integer(metadata={"description": "The registration (for manual check-in)"})
    name = fields.String()
    furigana = fields.String()
    mode = fields.String(metadata={"enum": MODES})
    status = fields.String(metadata={"enum": [s.value for s in PlaceStatus]})
    checked_in = fields.Boolean()
    checkin_id = fields.Integer(allow_none=True, metadata={"description": "To undo it"})


# --- answers -----------------------------------------------------------------------------------


def _sync_one(session: Session, item) -> dict:
    """One queued scan: its verdict, or its own error (never the whole batch's).

    Only what the scanner could have seen is accepted. A scan names its person by the ticket's
    `secret` (a QR read offline) or by `registration_id` (a check-in by name from the
    downloaded list, no ticket in hand); either way it is decided as at its `scanned_at`, which
    must lie in the session's check-in window (`too_early` / `closed` otherwise, as on the
    phone), and the sync must arrive by the session's sync deadline (CHECKIN_SYNC_GRACE_HOURS
    after check-in closed; `synced_too_late` after). A `registration_id` must hold a place in
    this session (a place elsewhere in the series is `not_registered`)."""
    nonce = item.get("nonce") if isinstance(item, dict) else None
    result = {"nonce": nonce if isinstance(nonce, str) and len(nonce) <= 64 else None}
    try:
        scan = SyncScan().load(item)
        if ("secret" in scan) == ("registration_id" in scan):
            raise ValidationError(_l("Send either secret or registration_id."), "_schema")
        registration = None
        if "registration_id" in scan:
            registration = _registration_in_series(session, scan["registration_id"])
        verdict = checkin.decide(
            session,
            current_user,
            secret=scan.get("secret"),
            registration=registration,
            nonce=scan["nonce"],
            scanned_at=scan["scanned_at"],
            device_id=printable(scan["device_id"], 64),
            source="offline",
            admitted_offline=scan.get("offline_verdict") == "ok",
        )
        db.session.commit()  # each scan its own unit of work: one failing keeps the others
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        error = ValidationFailed(fields=_translate(messages))
        return {**result, "status": "error", "error": error.to_dict()}
    except KakawariError as exc:
        db.session.rollback()  # nothing of a refused scan is kept
        return {**result, "status": "error", "error": exc.to_dict()}
    except Exception:  # the client keeps this scan queued and sends it again
        log.exception("Sync of one scan failed")
        db.session.rollback()
        message = str(_l("Something went wrong on our side. Please try again."))
        error = {"code": "internal_error", "message": message}
        return {**result, "status": "error", "error": error}
    return {**result, **verdict.to_dict()}


def _registration_in_series(session: Session, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.series_id != session.series_id:
        raise NotFound()
    return registration


def _recent(session: Session) -> list[dict]:
    rows = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.session_id == session.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .limit(RECENT_CHECKINS)
        .options(joinedload(CheckIn.registration).joinedload(Registration.user))
        .options(joinedload(CheckIn.staff))
    ).all()
    return [
        {
            "id": c.id,
            "registration_id": c.registration_id,
            "name": c.registration.user.name,
            "furigana": c.registration.user.furigana,
            "checked_in_at": c.checked_in_at,
            "checked_in_by": c.staff.name if c.staff else None,
            "source": c.source,
            "mode_changed": c.mode_changed,
            "duplicate": c.duplicate_of_id is not None,
        }
        for c in rows
    ]


def _standing_by_registration(session: Session, registration_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(CheckIn.registration_id, CheckIn.id).where(
            CheckIn.session_id == session.id,
            CheckIn.registration_id.in_(registration_ids),
            CheckIn.standing,
        )
    )
    return dict(rows.all())


# --- routes ------------------------------------------------------------------------------------

ACCESS_ERRORS = [
    (401, "Not logged in"),
    (403, "A participant of the series; staff outside the session's check-in hours"),
    (404, "No such session in your organisations"),
]


def _documented_errors(view):
    for status, description in ACCESS_ERRORS:
        view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
    return blp.doc(security=BEARER)(view)


@blp.route("/sessions/<int:session_id>/checkins", methods=["POST"])
@blp.arguments(ScanRequest)
@blp.response(200, VerdictOut)
@blp.alt_response(422, schema=ErrorSchema, description="No `secret`, or a malformed field")
@_documented_errors
@session_staff
def scan(body, session: Session):
    """Scan a ticket: the verdict, and the check-in when it admits the person.

    `ok` (green), `already_checked_in` (yellow, with when and by whom) or `rejected` (red, with
    the `reason`; also for anything that is not a ticket). Idempotent by `nonce` within the
    session; a nonce already used at another session, or for another person, is `rejected`
    with `nonce_reused`. Two phones scanning the same ticket at once get one `ok` and one
    `already_checked_in`."""
    secret = body["secret"] if isinstance(body["secret"], str) else ""
    verdict = checkin.decide(
        session,
        current_user,
        secret=secret,
        nonce=body.get("nonce"),
        scanned_at=body.get("scanned_at"),
        device_id=printable(body["device_id"], 64),
        source="scan",
    )
    answer = verdict.to_dict()  # from the rows the decision read and wrote: nothing read again
    db.session.commit()  # the check-in and the place it moved: one unit of work
    return answer


@blp.route("/sessions/<int:session_id>/checkins/sync", methods=["POST"])
@blp.arguments(SyncRequest)
@blp.response(200, SyncResults)
@blp.alt_response(422, schema=ErrorSchema, description="No `scans` list, or too many")
@_documented_errors
@session_staff
def sync(body, session: Session):
    """Send the scans queued while offline.

    Each is decided as at its `scanned_at`, which the check-in keeps. One result per scan, in
    order, each with its `nonce`. Sending the same scans again changes nothing (idempotent by
    nonce). A ticket let in offline on two phones counts once; the second admission is kept
    with `duplicate: true` for the organiser. A scan that cannot be read gets `status: "error"`
    with its own `error` and does not affect the others; an `internal_error` one may be sent
    again, the others not."""
    return {"results": [_sync_one(session, item) for item in body["scans"]]}


@blp.route("/sessions/<int:session_id>/checkins/manual", methods=["POST"])
@blp.arguments(ManualRequest)
@blp.response(200, VerdictOut)
@blp.alt_response(422, schema=ErrorSchema, description="No `registration_id`")
@_documented_errors
@session_staff
def manual(body, session: Session):
    """Check in a person found by the manual search (one tap).

    The scan's rules apply. 404 unless the registration belongs to the session's series."""
    registration = _registration_in_series(session, body["registration_id"])
    verdict = checkin.decide(
        session, current_user, registration=registration, nonce=body.get("nonce"), source="manual"
    )
    answer = verdict.to_dict()
    db.session.commit()
    return answer


@blp.route("/sessions/<int:session_id>/checkins/list", methods=["GET"])
@blp.response(200, OfflineList)
@_documented_errors
@session_staff(venue_only=True)
def offline_list(session: Session):
    """The session's list for offline scanning.

    Each ticket as the SHA-256 (hex) of its secret, with name, ふりがな, mode, place status and
    whether already in. No secrets, no emails."""
    opens, closes = checkin.checkin_window(session)
    return {
        "session": {
            "id": session.id,
            "title": session.title,
            "series_title": session.series.title,
            "status": session.status.value,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "checkin_opens_at": opens,
            "checkin_closes_at": closes,
        },
        "generated_at": utcnow(),
        "entries": checkin.offline_list(session),
    }


@blp.route("/sessions/<int:session_id>/checkins/status", methods=["GET"])
@blp.response(200, StatusOut)
@_documented_errors
@session_staff(venue_only=True)
def status(session: Session):
    """The live counter (checked in / expected at the venue) and the latest check-ins.

    `recent`: the last 20 standing or flagged check-ins, newest scan time first."""
    return {**checkin.status(session), "recent": _recent(session)}


@blp.route("/sessions/<int:session_id>/checkins/search", methods=["GET"])
@blp.arguments(SearchQuery, location="query")
@blp.response(200, Person(many=True))
@_documented_errors
@session_staff(venue_only=True)
def search(query, session: Session):
    """Find people with a place in this session, for a manual check-in.

    By any part of a name or ふりがな (from one character), or by a whole email address (case
    aside; a part of one finds nobody). Emails are never returned."""
    found = checkin.search(session, query["q"])
    standing = _standing_by_registration(session, [r.id for r in found])
    people = []
    for r in found:
        place = r.place_for(session.id)
        people.append(
            {
                "id": r.id,
                "name": r.user.name,
                "furigana": r.user.furigana,
                "mode": place.mode.value,
                "status": place.status.value,
                "checked_in": r.id in standing,
                "checkin_id": standing.get(r.id),
            }
        )
    return people


@blp.route("/checkins/<int:checkin_id>", methods=["DELETE"])
@blp.response(204)
@_documented_errors
@_staff_of_checkin
def undo(found: CheckIn):
    """Undo a check-in (a wrong tap).

    Recorded in the organisation's log. Undoing twice is a no-op."""
    checkin.undo(found, current_user)
    db.session.commit()
    return ""


@blp.route("/registrations/<int:registration_id>/ticket.png", methods=["GET"])
@blp.response(200, description="The QR code")
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.alt_response(
    404,
    schema=ErrorSchema,
    description="Not yours (staff: they check people in by name), or no confirmed venue place",
)
@blp.doc(
    security=BEARER,
    responses={"200": {"description": "The QR code", "content": {"image/png": PNG}}},
)
@login_required
def ticket_png(registration_id: int):
    """The QR code of a registration's ticket (PNG).

    For the registration's owner and the organisation's organisers and owners
    (checkin.tickets.ticket_for, as the ticket page). Anybody else gets 404, staff included:
    the image carries the secret, which the offline list keeps from them too; they check
    people in by name instead."""
    shown = ticket_for(registration_with_places(_known_id(registration_id)), current_user)
    if shown.ticket is None:
        raise NotFound()  # all online: no door to show a code at
    if shown.issued:  # issued when the place was confirmed; this only mends a missing one
        db.session.commit()
    ticket = shown.ticket
    response = Response(qr_png(ticket.secret), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
