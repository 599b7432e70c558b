"""API: tickets and venue check-in (受付).

Every verdict comes from app.checkin.services.decide(), the one function the scanner page, this
API and the offline sync share (whether a person may be admitted: checkin.rules.reject_reason);
these views parse, authorise, call it, commit and answer. Schemas: app.checkin.schemas; reads:
app.checkin.queries; who may see a ticket: app.checkin.tickets.ticket_for. A scan that
cannot admit anyone is a `rejected` verdict (200) with its reason, never an error.

Who may call: staff (or above) of the session's organisation. Another organisation's people get
404 (its sessions do not exist for them); a participant of the series gets 403. Staff (role
staff) work a session only around it (checkin.rules.door_window: from a day before check-in
opens until the sync deadline after it ends), else 403 `outside_checkin_hours`; organisers and
owners at any time. A session without a venue takes no check-in (`rejected`, `no_venue`) and has
no list, counter or search (404).

サテライト会場: a scanner works at one venue of the session (`venue_id`; a session of one
venue needs none). Its list, counter, latest check-ins and check-ins are that venue's; a ticket
for another venue is `rejected` with `wrong_venue` naming it, which staff may let in anyway by
sending the scan again with `override` (logged). A missing or foreign `venue_id` is 422.
"""

import logging
from functools import wraps

from flask import Response, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from app.api import Blueprint, ErrorSchema
from app.api.access import require_role_in
from app.api.accounts import BEARER
from app.api.scopes import CHECKIN, needs_scope
from app.checkin import queries, rules
from app.checkin import services as checkin
from app.checkin.models import CheckIn
from app.checkin.schemas import (
    ManualRequest,
    OfflineList,
    Person,
    ScanRequest,
    SearchQuery,
    StatusOut,
    SyncRequest,
    SyncResults,
    VenueQuery,
    VerdictOut,
)
from app.checkin.sync import decide_queued, item_nonce
from app.checkin.tickets import qr_png, ticket_for
from app.core.access import declare, login_required, require_user
from app.core.error_handlers import _translate
from app.core.errors import KakawariError, NotFound, ValidationFailed
from app.core.text import printable
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.orgs.models import Role

log = logging.getLogger("kakawari.checkin")

blp = Blueprint("api_checkin", __name__, description="Tickets and check-in (受付)")

PNG = {"schema": {"type": "string", "format": "binary"}}


# --- access ------------------------------------------------------------------------------------


def require_staff_of(session: Session) -> None:
    """Staff or above of the session's organisation (a participant of the series gets 403,
    anybody else outside the organisation 404); staff only around the session (403)."""
    require_role_in(session.series, Role.staff)
    rules.require_at_the_door(session, g.membership.role)


def session_staff(view=None, *, venue_only: bool = False):
    """For routes keyed by `session_id`: the view receives the loaded `session`. With
    `venue_only`, a session without a venue is not there (404)."""
    if view is None:
        return lambda v: session_staff(v, venue_only=venue_only)

    @wraps(view)
    def wrapper(*args, session_id, **kwargs):
        require_user()
        session, membership = queries.session_with_membership(session_id, current_user)
        require_role_in(session.series, Role.staff, membership)
        if venue_only and not rules.has_venue(session):
            raise NotFound()
        rules.require_at_the_door(session, g.membership.role)
        return view(*args, session=session, **kwargs)

    return declare(wrapper, "org:staff")


def _staff_of_checkin(view):
    @wraps(view)
    def wrapper(*args, checkin_id, **kwargs):
        require_user()
        found = queries.get_checkin(checkin_id)
        require_staff_of(found.session)
        return view(*args, found=found, **kwargs)

    return declare(wrapper, "org:staff")


# --- the offline sync --------------------------------------------------------------------------


def _sync_one(session: Session, item, venue_id: int | None) -> dict:
    """One queued scan (checkin.sync.decide_queued), its own unit of work: its verdict, or its
    own error (never the whole batch's)."""
    result = {"nonce": item_nonce(item)}
    try:
        verdict = decide_queued(session, current_user, item, venue_id)
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
@needs_scope(CHECKIN)
@blp.arguments(ScanRequest)
@blp.response(200, VerdictOut)
@blp.alt_response(
    422, schema=ErrorSchema, description="No `secret`, a malformed field, or no usable `venue_id`"
)
@_documented_errors
@session_staff
def scan(body, session: Session):
    """Scan a ticket: the verdict, and the check-in when it admits the person.

    `ok` (green), `already_checked_in` (yellow, with when and by whom) or `rejected` (red, with
    the `reason`; also for anything that is not a ticket). Idempotent by `nonce` within the
    session; a nonce already used at another session, or for another person, is `rejected`
    with `nonce_reused`. Two phones scanning the same ticket at once get one `ok` and one
    `already_checked_in`.

    At the scanner's `venue_id`: a ticket for another venue of the session is `rejected` with
    `wrong_venue` (its `ticket_venue` named, `overridable` true); the same scan sent with
    `override` (and an optional `override_note`) lets the person in at this venue, logged in
    the organisation's log with who and why."""
    secret = body["secret"] if isinstance(body["secret"], str) else ""
    verdict = checkin.decide(
        session,
        current_user,
        secret=secret,
        nonce=body.get("nonce"),
        scanned_at=body.get("scanned_at"),
        device_id=printable(body["device_id"], 64),
        source="scan",
        venue_id=body.get("venue_id"),
        override=body["override"],
        note=printable(body["override_note"], 200),
    )
    answer = verdict.to_dict()  # from the rows the decision read and wrote: nothing read again
    db.session.commit()  # the check-in and the place it moved: one unit of work
    return answer


@blp.route("/sessions/<int:session_id>/checkins/sync", methods=["POST"])
@needs_scope(CHECKIN)
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
    again, the others not. Each scan is decided at its own `venue_id`, else the batch's."""
    venue_id = body.get("venue_id")
    return {"results": [_sync_one(session, item, venue_id) for item in body["scans"]]}


@blp.route("/sessions/<int:session_id>/checkins/manual", methods=["POST"])
@needs_scope(CHECKIN)
@blp.arguments(ManualRequest)
@blp.response(200, VerdictOut)
@blp.alt_response(
    422, schema=ErrorSchema, description="No `registration_id`, or no usable `venue_id`"
)
@_documented_errors
@session_staff
def manual(body, session: Session):
    """Check in a person found by the manual search (one tap).

    The scan's rules apply. 404 unless the registration belongs to the session's series."""
    registration = queries.registration_in_series(session, body["registration_id"])
    verdict = checkin.decide(
        session,
        current_user,
        registration=registration,
        nonce=body.get("nonce"),
        source="manual",
        venue_id=body.get("venue_id"),
        override=body["override"],
        note=printable(body["override_note"], 200),
    )
    answer = verdict.to_dict()
    db.session.commit()
    return answer


VENUE_ERROR = (422, "A session of several venues without `venue_id`, or another's venue")


@blp.route("/sessions/<int:session_id>/checkins/list", methods=["GET"])
@needs_scope(CHECKIN)
@blp.arguments(VenueQuery, location="query")
@blp.response(200, OfflineList)
@blp.alt_response(VENUE_ERROR[0], schema=ErrorSchema, description=VENUE_ERROR[1])
@_documented_errors
@session_staff(venue_only=True)
def offline_list(query, session: Session):
    """The list of one venue of the session for offline scanning.

    Each ticket of the venue's people and of those registered online as the SHA-256 (hex) of
    its secret, with name, ふりがな, mode, place status and whether already in; the other
    venues' confirmed tickets only as hash and venue (`elsewhere`). No secrets, no emails."""
    venue = rules.door_venue(session, query.get("venue_id"))
    opens, closes = rules.checkin_window(session)
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
            "venue": {"id": venue.id, "name": venue.name},
            "venues": [{"id": v.id, "name": v.name} for v in session.venues],
        },
        "generated_at": utcnow(),
        "entries": queries.offline_list(session, venue),
        "elsewhere": queries.elsewhere_list(session, venue),
    }


@blp.route("/sessions/<int:session_id>/checkins/status", methods=["GET"])
@needs_scope(CHECKIN)
@blp.arguments(VenueQuery, location="query")
@blp.response(200, StatusOut)
@blp.alt_response(VENUE_ERROR[0], schema=ErrorSchema, description=VENUE_ERROR[1])
@_documented_errors
@session_staff(venue_only=True)
def status(query, session: Session):
    """The live counter of one venue (checked in there / expected there) and its latest
    check-ins.

    `recent`: the last 20 standing or flagged check-ins at the venue, newest scan time first."""
    venue = rules.door_venue(session, query.get("venue_id"))
    return {**queries.status(session, venue), "recent": queries.recent(session, venue)}


@blp.route("/sessions/<int:session_id>/checkins/search", methods=["GET"])
@needs_scope(CHECKIN)
@blp.arguments(SearchQuery, location="query")
@blp.response(200, Person(many=True))
@_documented_errors
@session_staff(venue_only=True)
def search(query, session: Session):
    """Find people with a place in this session, for a manual check-in.

    By any part of a name or ふりがな (from one character), or by a whole email address (case
    aside; a part of one finds nobody). Emails are never returned."""
    return queries.search_people(session, query["q"])


@blp.route("/checkins/<int:checkin_id>", methods=["DELETE"])
@needs_scope(CHECKIN)
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
    shown = ticket_for(queries.registration_with_places(registration_id), current_user)
    if shown.ticket is None:
        raise NotFound()  # all online: no door to show a code at
    if shown.issued:  # issued when the place was confirmed; this only mends a missing one
        db.session.commit()
    ticket = shown.ticket
    response = Response(qr_png(ticket.secret), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
