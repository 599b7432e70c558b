"""API: registrations.

Registering, cancelling and the waitlist are decided by app.registration.services (under the
capacity lock); these views parse, authorise, call it and answer. Lists load everything they
show in a fixed number of queries, whatever their length.
"""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields
from marshmallow.validate import OneOf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import Blueprint, ErrorSchema, PageQuery, requested_slice
from app.api.accounts import BEARER, Prefecture
from app.api.events import ORGANIZER_ERRORS, errors, prefecture_payload, series_organizer
from app.api.idempotency import idempotent
from app.core.access import login_required
from app.core.errors import ValidationFailed
from app.events import services as events
from app.events.models import Mode, Series
from app.extensions import db
from app.registration import capacity
from app.registration import manage_services as manage
from app.registration import services as reg
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.unit import one_unit_of_work

blp = Blueprint("api_registration", __name__, description="Registrations (申込)")

MODES = [m.value for m in Mode]
PLACE_STATUSES = [s.value for s in PlaceStatus]
REGISTRATION_STATUSES = [s.value for s in RegistrationStatus]


# --- schemas -----------------------------------------------------------------------------------


class ModeChoice(Schema):
    """How to attend hybrid sessions: one mode for all, or per session."""

    mode = fields.String(
        allow_none=True,
        metadata={"enum": MODES, "description": "How to attend hybrid sessions"},
    )
    modes = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata={"enum": MODES}),
        metadata={"description": "Per session, overriding `mode`: {session_id: mode}"},
    )
    venue_id = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={
            "description": "The venue of venue places, where a session has several "
            "(サテライト会場); a session with one venue needs none"
        },
    )
    venues = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True),
        metadata={"description": "Per session, overriding `venue_id`: {session_id: venue_id}"},
    )


class RegistrationRequest(ModeChoice):
    session_ids = fields.List(
        fields.Integer(strict=True), metadata={"description": "Series with scope `session` only"}
    )
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        metadata={"description": "{question_id: text, choice or [choices]}"},
    )
    consent = fields.Boolean(
        load_default=False, metadata={"description": "The privacy notice is accepted (required)"}
    )


class AddSessionsRequest(ModeChoice):
    session_ids = fields.List(
        fields.Integer(strict=True),
        required=True,
        metadata={"description": "Sessions of the series to book (never booked, or cancelled)"},
    )


class SwitchRequest(Schema):
    mode = fields.String(
        required=True, metadata={"enum": MODES, "description": "Where to take part now"}
    )
    venue_id = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"description": "Which venue, where the session has several (サテライト会場)"},
    )


class PlaceOut(Schema):
    """A registration's place in one session."""

    session_id = fields.Integer()
    title = fields.String(metadata={"description": "The session's"})
    starts_at = fields.DateTime()
    mode = fields.String(metadata={"enum": MODES})
    venue_id = fields.Integer(
        allow_none=True, metadata={"description": "The venue of a venue place; null online"}
    )
    status = fields.String(metadata={"enum": PLACE_STATUSES})
    waitlist_position = fields.Integer(
        allow_none=True, metadata={"description": "1 is next in line; null unless waitlisted"}
    )


class RegistrationOut(Schema):
    id = fields.Integer()
    series_id = fields.Integer()
    series_title = fields.String()
    status = fields.String(metadata={"enum": REGISTRATION_STATUSES})
    waitlist_position = fields.Integer(
        allow_none=True, metadata={"description": "The best position among waiting places"}
    )
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)
    sessions = fields.List(fields.Nested(PlaceOut))


class RegisteredError(Schema):
    code = fields.String(metadata={"example": "already_registered"})
    message = fields.String()
    registration_id = fields.Integer(
        allow_none=True, metadata={"description": "The caller's existing registration"}
    )


class RegistrationConflictSchema(Schema):
    error = fields.Nested(RegisteredError, required=True)


LIST_STATUSES = [*PLACE_STATUSES, "all"]


class ListFilters(PageQuery):
    """The filters of the organiser's participant page, with the same meaning; by default
    everyone matching, or one page of them."""

    status = fields.String(
        validate=OneOf(
            LIST_STATUSES, error=_l("Choose one of: %(v)s.", v=", ".join(LIST_STATUSES))
        ),
        metadata={
            "description": "People with a place in this status (`all`: anyone); "
            "by default anyone with a place not cancelled"
        },
    )
    mode = fields.String(
        validate=OneOf(MODES, error=_l("Choose one of: %(v)s.", v=", ".join(MODES))),
        metadata={"description": "People with such a place in this mode"},
    )
    session = fields.Integer(metadata={"description": "People with such a place in this session"})
    prefecture = fields.String(metadata={"description": "Where they live: name or JIS code"})
    q = fields.String(metadata={"description": "Search in name, furigana and email"})


class Participant(Schema):
    id = fields.Integer(metadata={"description": "The registration"})
    user_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    email = fields.String(
        allow_none=True,
        metadata={
            "description": "Where mail reaches them (typed by the organiser for people "
            "they added); null when there is none"
        },
    )
    prefecture = fields.Nested(Prefecture, allow_none=True)
    status = fields.String(metadata={"enum": REGISTRATION_STATUSES})
    source = fields.String(metadata={"enum": ["self", "manual"]})
    answers = fields.Dict()
    created_at = fields.DateTime()
    places = fields.List(fields.Nested(PlaceOut))


# --- answers -----------------------------------------------------------------------------------


def _load(where) -> list[Registration]:
    return db.session.scalars(
        select(Registration)
        .where(*where)
        .order_by(Registration.created_at, Registration.id)
        .options(
            selectinload(Registration.places).selectinload(Place.session),
            selectinload(Registration.series),
        )
    ).all()


def _places(registration: Registration, positions: dict[int, int]) -> list[dict]:
    return [
        {
            "session_id": p.session_id,
            "title": p.session.title,
            "starts_at": p.session.starts_at,
            "mode": p.mode,
            "venue_id": p.venue_id,
            "status": p.status,
            "waitlist_position": positions.get(p.id),
        }
        for p in registration.places
    ]


def registration_payloads(registrations: list[Registration]) -> list[dict]:
    positions = capacity.waitlist_positions([p for r in registrations for p in r.places])
    result = []
    for r in registrations:
        waiting = [positions[p.id] for p in r.places if p.id in positions]
        result.append(
            {
                "id": r.id,
                "series_id": r.series_id,
                "series_title": r.series.title,
                "status": r.status,
                "waitlist_position": min(waiting, default=None),
                "created_at": r.created_at,
                "cancelled_at": r.cancelled_at,
                "sessions": _places(r, positions),
            }
        )
    return result


def _one(registration: Registration) -> dict:
    """After a change: the objects the change (and its notifications) loaded are reused."""
    return registration_payloads([registration])[0]


def _modes_by_session(modes, field="modes"):
    """JSON object keys are text; the service wants {session_id: mode} (or venue_id)."""
    if not modes:
        return None
    if not all(k.isascii() and k.isdigit() for k in modes):
        raise ValidationFailed(fields={field: [_l("Choose sessions of this series.")]})
    return {int(k): v for k, v in modes.items()}


# --- routes ------------------------------------------------------------------------------------


@blp.route("/series/<int:series_id>/registrations", methods=["POST"])
@idempotent
@blp.arguments(RegistrationRequest)
@blp.response(201, RegistrationOut)
@errors(blp, {401: "Not logged in", 404: "No such published series"})
@blp.alt_response(
    409,
    schema=RegistrationConflictSchema,
    description="`already_registered` (with `registration_id`), `registration_not_open`, "
    "`registration_closed`, `session_full` (no waitlist), `session_cancelled`, "
    "`session_started`",
)
@blp.doc(security=BEARER)
@login_required
def register(body, series_id: int):
    """Register the caller: each place is confirmed, waitlisted or (lottery) applied.

    First come, first served: nobody is ever confirmed beyond a session's capacity, however
    many people register at once; the others wait in order (`waitlist_position`)."""
    series = events.get_series(series_id, public=True, options=events.FOR_REGISTERING)
    with one_unit_of_work():  # the answer is built from what was decided, before the commit
        registration = reg.register(
            series,
            current_user,
            mode=body.get("mode"),
            modes=_modes_by_session(body.get("modes")),
            venue_id=body.get("venue_id"),
            venues=_modes_by_session(body.get("venues"), "venues"),
            session_ids=body.get("session_ids"),
            answers=body.get("answers"),
            consent=body["consent"],
        )
        answer = _one(registration)
    return answer


@blp.route("/me/registrations", methods=["GET"])
@blp.response(200, RegistrationOut(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.doc(security=BEARER)
@login_required
def my_registrations():
    """The caller's registrations, oldest first, with every session's place."""
    return registration_payloads(_load([Registration.user_id == current_user.id]))


@blp.route("/registrations/<int:registration_id>", methods=["DELETE"])
@blp.response(200, RegistrationOut)
@errors(blp, {401: "Not logged in", 404: "Not one of your registrations"})
@blp.doc(security=BEARER)
@login_required
def cancel_registration(registration_id: int):
    """Cancel the caller's whole registration (places of sessions already held stay, as
    history); freed places go at once to the first people waiting. Cancelling again is a
    no-op."""
    registration = reg.own_registration(registration_id, current_user)
    with one_unit_of_work():
        if registration.status is not RegistrationStatus.cancelled:
            registration = reg.cancel(registration, actor=current_user).registration
        answer = _one(registration)
    return answer


@blp.route("/registrations/<int:registration_id>/sessions", methods=["POST"])
@idempotent
@blp.arguments(AddSessionsRequest)
@blp.response(200, RegistrationOut)
@errors(blp, {401: "Not logged in", 404: "Not one of your registrations"})
@blp.alt_response(
    409,
    schema=RegistrationConflictSchema,
    description="`registration_not_open`, `registration_closed`, `session_full` (no "
    "waitlist), `session_cancelled`, `session_started`, `already_registered` (a cancelled "
    "registration while another one is active)",
)
@blp.doc(security=BEARER)
@login_required
def add_sessions(body, registration_id: int):
    """Book more sessions in the caller's registration: sessions never booked (also ones
    added after registering) and sessions cancelled before. Each place is decided as on
    registering: confirmed when its mode has room, else last in the waitlist; sessions
    already held are left as they are."""
    registration = reg.own_registration(registration_id, current_user)
    modes = _modes_by_session(body.get("modes")) or {}
    wanted = {sid: modes.get(sid, body.get("mode")) for sid in body["session_ids"]}
    venues = _modes_by_session(body.get("venues"), "venues")
    with one_unit_of_work():
        outcome = reg.add_sessions(
            registration, wanted, venues=venues, venue_id=body.get("venue_id")
        )
        answer = _one(outcome.registration)
    return answer


@blp.route(
    "/registrations/<int:registration_id>/sessions/<int:session_id>/switch", methods=["POST"]
)
@blp.arguments(SwitchRequest)
@blp.response(200, RegistrationOut)
@errors(blp, {401: "Not logged in", 404: "Not one of your registrations, or no place there"})
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="`session_full` (no room there for a confirmed place), `session_started`",
)
@blp.doc(security=BEARER)
@login_required
def switch_place(body, registration_id: int, session_id: int):
    """Move the caller's place in one session: venue ↔ online, or to another venue of the
    session. A confirmed place moves only when there is room there (its old place goes at
    once to the first person waiting for it); a waiting place queues there, last."""
    registration = reg.own_registration(registration_id, current_user)
    with one_unit_of_work():
        outcome = reg.switch_mode(
            registration, session_id, body["mode"], venue_id=body.get("venue_id")
        )
        answer = _one(outcome.registration)
    return answer


@blp.route("/series/<int:series_id>/registrations", methods=["GET"])
@blp.arguments(ListFilters, location="query")
@blp.response(200, Participant(many=True))
@errors(blp, ORGANIZER_ERRORS)
@blp.doc(security=BEARER)
@series_organizer
def list_registrations(filters, series: Series):
    """The series' participants by furigana, as on the organiser's page: everyone matching,
    or one page of them (a page past the last is empty). Organisers."""
    offset, limit = requested_slice(filters) or (0, None)
    registrations = manage.participants(
        series, manage.Filters.read(filters, series), offset=offset, limit=limit
    )
    # the series' sessions, loaded once: each place then finds its own without a query
    series.sessions  # noqa: B018
    positions = capacity.waitlist_positions([p for r in registrations for p in r.places])
    return [
        {
            "id": r.id,
            "user_id": r.user_id,
            "name": r.user.name,
            "furigana": r.user.furigana,
            "email": manage.mail_address(r.user),
            "prefecture": prefecture_payload(r.user.prefecture),
            "status": r.status,
            "source": r.source,
            "answers": r.answers,
            "created_at": r.created_at,
            "places": _places(r, positions),
        }
        for r in registrations
    ]
