"""API: series and sessions.

Anyone may read published series; organisers of a series' organisation create series and add
sessions. Every rule about the input lives in app.events.services: these views parse, authorise,
call a service, build the answer and commit once. The stream URL is never part of a public
answer.
"""

from functools import wraps

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import OneOf
from sqlalchemy import func, select

from app.api import Blueprint, DateTime, ErrorSchema
from app.api.accounts import BEARER, Prefecture
from app.api.idempotency import idempotent
from app.core.access import declare, public, require_user
from app.core.errors import NotFound, ValidationFailed
from app.core.prefectures import prefecture_code, prefecture_name
from app.events import services
from app.events.models import (
    Mode,
    Scope,
    Selection,
    Series,
    SeriesStatus,
    SessionFormat,
    Theme,
)
from app.extensions import db
from app.orgs.access import load_org_for, org_role_required
from app.orgs.models import Role
from app.orgs.services import membership
from app.registration import capacity
from app.registration.models import Place, PlaceStatus

blp = Blueprint("api_events", __name__, description="Series (連続講座) and sessions (回)")

EXAMPLE_TIME = "2026-08-24T13:30:00+09:00"


def _values(enum_cls) -> list[str]:
    return [e.value for e in enum_cls]


def errors(blp, described: dict[int, str]):
    """Document the JSON errors a route answers with (status: when)."""

    def decorator(view):
        for status, description in described.items():
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return view

    return decorator


ORGANIZER_ERRORS = {
    401: "Not logged in",
    403: "Staff of the organisation may not do this",
    404: "No such series in your organisations",
}


def series_organizer(view):
    """For routes keyed by `series_id`: only organisers (and owners) of the series' organisation.

    The view receives the loaded `series`. Other tenants get 404, weaker roles 403."""

    @wraps(view)
    def wrapper(*args, series_id, **kwargs):
        require_user()
        series = services.get_series(series_id)
        load_org_for(Role.organizer, series.org_id)
        return view(*args, series=series, **kwargs)

    return declare(wrapper, "org:organizer")


# --- schemas -----------------------------------------------------------------------------------


class SeriesFilters(Schema):
    class Meta:
        unknown = EXCLUDE

    prefecture = fields.String(metadata={"description": "Japanese name (島根県) or JIS code (32)"})
    format = fields.String(
        validate=OneOf(
            _values(SessionFormat), error=_l("Choose one of: %(v)s.", v="venue, online, hybrid")
        ),
        metadata={"description": "Only series with a session held this way"},
    )
    online = fields.Boolean(metadata={"description": "Only series one can attend online"})


class SeriesCreate(Schema):
    title = fields.String(required=True)
    description = fields.String(metadata={"description": "Markdown"})
    prefecture = fields.Raw(
        allow_none=True, metadata={"description": "Japanese name (島根県) or JIS code (32)"}
    )
    municipality = fields.String()
    selection = fields.String(
        metadata={"enum": _values(Selection), "description": "first_come (default) or lottery"}
    )
    scope = fields.String(
        metadata={
            "enum": _values(Scope),
            "description": "series: one registration covers every session (default); "
            "session: people choose sessions",
        }
    )
    registration_opens_at = DateTime(allow_none=True, metadata={"example": EXAMPLE_TIME})
    registration_closes_at = DateTime(
        allow_none=True,
        metadata={"example": EXAMPLE_TIME, "description": "Also the lottery's deadline"},
    )
    waitlist_enabled = fields.Boolean(metadata={"description": "Default true"})
    reminders_enabled = fields.Boolean(
        metadata={
            "description": "Default true: confirmed people get a reminder mail the day before "
            "and an hour before each session"
        }
    )
    theme = fields.String(
        allow_none=True,
        metadata={"enum": _values(Theme), "description": "What it is about (optional)"},
    )
    in_programme = fields.Boolean(
        metadata={
            "description": "Default false: part of the programme, whose figures the "
            "organisation's viewers (委託元) see as aggregates"
        }
    )
    completion_min_sessions = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"description": "Sessions to attend for the certificate"},
    )
    archive_counts_minutes = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"description": "Watching a session's archive for at least this many minutes "
                  "counts as attending it; null (default): never"},
    )  # fmt: skip
    online_threshold_percent = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"description": "Share of a session online that counts (70)"},
    )
    privacy_notice = fields.String()
    published = fields.Boolean(metadata={"description": "Publish at once (default: a draft)"})


class SessionCreate(Schema):
    title = fields.String(required=True)
    starts_at = DateTime(
        required=True,
        metadata={"example": EXAMPLE_TIME, "description": "ISO 8601 with its UTC offset"},
    )
    ends_at = DateTime(
        required=True,
        metadata={"example": "2026-08-24T17:30:00+09:00", "description": "ISO 8601 with offset"},
    )
    format = fields.String(required=True, metadata={"enum": _values(SessionFormat)})
    venue_name = fields.String()
    venue_address = fields.String()
    map_url = fields.String()
    venue_capacity = fields.Integer(
        strict=True, allow_none=True, metadata={"description": "venue, hybrid"}
    )
    online_capacity = fields.Integer(
        strict=True, allow_none=True, metadata={"description": "online, hybrid; null is unlimited"}
    )
    stream_url = fields.String(metadata={"description": "Shown only in the live room"})
    notes = fields.String()


class OrgBrief(Schema):
    id = fields.Integer()
    name = fields.String()


class ModePlaces(Schema):
    capacity = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    left = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    waitlisted = fields.Integer()
    applied = fields.Integer(metadata={"description": "Lottery entries not drawn yet"})
    availability = fields.String(metadata={"enum": ["available", "few", "full", "unlimited"]})


class SessionBrief(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    format = fields.String(metadata={"enum": _values(SessionFormat)})
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})


class VenueOut(Schema):
    """One of a session's venues (サテライト会場: a session may be held at several at once)."""

    id = fields.Integer(metadata={"description": "Choose it by this id (`venue_id`)"})
    name = fields.String(metadata={"example": "松江会場"})
    address = fields.String()
    map_url = fields.String()
    capacity = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    taken = fields.Integer(metadata={"description": "Confirmed places at this venue"})
    waiting = fields.Integer(metadata={"description": "On this venue's waitlist"})


class SessionOut(SessionBrief):
    venue_name = fields.String(
        metadata={"description": "The venue's name; with several venues, their names joined"}
    )
    venue_address = fields.String(metadata={"description": "With one venue; see `venues`"})
    map_url = fields.String(metadata={"description": "With one venue; see `venues`"})
    notes = fields.String()
    places = fields.Dict(
        keys=fields.String(metadata={"enum": ["venue", "online"]}),
        values=fields.Nested(ModePlaces),
        metadata={"description": "Per mode the session offers (venue: all its venues together)"},
    )
    venues = fields.List(
        fields.Nested(VenueOut),
        metadata={"description": "Where a venue or hybrid session is held, each with its places"},
    )


class OrganizerSession(SessionOut):
    stream_url = fields.String(metadata={"description": "Only ever returned to organisers"})


class QuestionOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["text", "single", "multiple"]})
    label = fields.String()
    options = fields.List(fields.String())
    required = fields.Boolean()


class SeriesSummary(Schema):
    id = fields.Integer()
    org = fields.Nested(OrgBrief)
    title = fields.String()
    prefecture = fields.Nested(Prefecture, allow_none=True)
    municipality = fields.String()
    theme = fields.String(allow_none=True, metadata={"enum": _values(Theme)})
    status = fields.String(metadata={"enum": _values(SeriesStatus)})
    selection = fields.String(metadata={"enum": _values(Selection)})
    scope = fields.String(metadata={"enum": _values(Scope)})
    registration_opens_at = fields.DateTime(allow_none=True)
    registration_closes_at = fields.DateTime(allow_none=True)
    sessions = fields.List(fields.Nested(SessionBrief))


class SeriesOut(SeriesSummary):
    description = fields.String(metadata={"description": "Markdown"})
    waitlist_enabled = fields.Boolean()
    reminders_enabled = fields.Boolean()
    in_programme = fields.Boolean()
    completion_min_sessions = fields.Integer(strict=True, allow_none=True)
    archive_counts_minutes = fields.Integer(strict=True, allow_none=True)
    online_threshold_percent = fields.Integer()
    privacy_notice = fields.String()
    lottery_drawn_at = fields.DateTime(allow_none=True)
    questions = fields.List(
        fields.Nested(QuestionOut),
        metadata={"description": "Answer them by id in a registration's `answers`"},
    )
    sessions = fields.List(fields.Nested(SessionOut))


# --- answers -----------------------------------------------------------------------------------


def prefecture_payload(code: str | None) -> dict | None:
    return {"code": code, "name": prefecture_name(code, "ja")} if code else None


def series_summary(series: Series) -> dict:
    return {
        "id": series.id,
        "org": series.org,
        "title": series.title,
        "prefecture": prefecture_payload(series.prefecture),
        "municipality": series.municipality,
        "theme": series.theme,
        "status": series.status,
        "selection": series.selection,
        "scope": series.scope,
        "registration_opens_at": series.registration_opens_at,
        "registration_closes_at": series.registration_closes_at,
        "sessions": series.sessions,
    }


PUBLIC_SESSION_FIELDS = (
    "id",
    "title",
    "starts_at",
    "ends_at",
    "format",
    "status",
    "venue_name",
    "venue_address",
    "map_url",
    "notes",
)


def venue_places(sessions) -> dict[tuple[int, PlaceStatus], int]:
    """(venue id, place status) -> places, for every venue of `sessions`: one query. A venue
    place without a venue is at its session's first venue."""
    first = {s.id: s.venues[0].id for s in sessions if s.venues}
    if not first:
        return {}
    rows = db.session.execute(
        select(Place.session_id, Place.venue_id, Place.status, func.count())
        .where(
            Place.session_id.in_(first),
            Place.mode == Mode.venue,
            Place.status.in_([PlaceStatus.confirmed, PlaceStatus.waitlisted]),
        )
        .group_by(Place.session_id, Place.venue_id, Place.status)
    )
    found: dict[tuple[int, PlaceStatus], int] = {}
    for session_id, venue_id, status, n in rows:
        key = (venue_id or first[session_id], status)
        found[key] = found.get(key, 0) + n
    return found


def session_payload(session, places: dict, at_venues: dict | None = None) -> dict:
    """Everything public about a session (never the stream URL) with its places per mode and
    its venues with theirs (`at_venues`: venue_places)."""
    at_venues = at_venues or {}
    return {
        **{f: getattr(session, f) for f in PUBLIC_SESSION_FIELDS},
        "places": {
            mode.value: {**info, "availability": capacity.availability(info)}
            for mode, info in places.items()
        },
        "venues": [
            {
                "id": v.id,
                "name": v.name,
                "address": v.address,
                "map_url": v.map_url,
                "capacity": v.capacity,
                "taken": at_venues.get((v.id, PlaceStatus.confirmed), 0),
                "waiting": at_venues.get((v.id, PlaceStatus.waitlisted), 0),
            }
            for v in session.venues
        ],
    }


def series_payload(series: Series) -> dict:
    places = capacity.summary(series.sessions)
    at_venues = venue_places(series.sessions)
    return {
        **series_summary(series),
        "description": series.description,
        "waitlist_enabled": series.waitlist_enabled,
        "reminders_enabled": series.reminders_enabled,
        "in_programme": series.in_programme,
        "completion_min_sessions": series.completion_min_sessions,
        "archive_counts_minutes": series.archive_counts_minutes,
        "online_threshold_percent": series.online_threshold_percent,
        "privacy_notice": series.privacy_notice,
        "lottery_drawn_at": series.lottery_drawn_at,
        "questions": series.questions,
        "sessions": [session_payload(s, places[s.id], at_venues) for s in series.sessions],
    }


# --- routes ------------------------------------------------------------------------------------


@blp.route("/series", methods=["GET"])
@blp.arguments(SeriesFilters, location="query")
@blp.response(200, SeriesSummary(many=True))
@public
def list_series(filters):
    """Published series, those with an upcoming session first (soonest first)."""
    code = None
    if filters.get("prefecture"):
        code = prefecture_code(filters["prefecture"])
        if code is None:
            raise ValidationFailed(fields={"prefecture": [_l("Choose one of the 47 prefectures.")]})
    found = services.public_series(
        prefecture=code,
        fmt=SessionFormat(filters["format"]) if filters.get("format") else None,
        online=filters.get("online"),
    )
    return [series_summary(s) for s in found]


@blp.route("/series/<int:series_id>", methods=["GET"])
@blp.response(200, SeriesOut)
@blp.alt_response(404, schema=ErrorSchema, description="No such published series")
@public
def get_series(series_id: int):
    """A published series with its questions, sessions and the places left per mode.

    Drafts are visible to members of the organisation only."""
    series = services.get_series(series_id)
    if series.status is SeriesStatus.draft and not (
        current_user.is_authenticated and membership(current_user, series.org_id)
    ):
        raise NotFound()
    return series_payload(series)


@blp.route("/orgs/<int:org_id>/series", methods=["POST"])
@idempotent
@blp.arguments(SeriesCreate)
@blp.response(201, SeriesOut)
@errors(blp, {**ORGANIZER_ERRORS, 404: "Not a member of this organisation"})
@blp.doc(security=BEARER)
@org_role_required(Role.organizer)
def create_series(body, org_id: int):
    """Create a series (a draft unless `published`); organisers and owners."""
    series = services.create_series(g.org, current_user, body)
    answer = series_payload(series)
    db.session.commit()
    return answer


@blp.route("/series/<int:series_id>/sessions", methods=["POST"])
@idempotent
@blp.arguments(SessionCreate)
@blp.response(201, OrganizerSession)
@errors(blp, ORGANIZER_ERRORS)
@blp.doc(security=BEARER)
@series_organizer
def add_session(body, series: Series):
    """Add a session; times are ISO 8601 with their offset (a time without one is refused)."""
    session = services.add_session(series, current_user, body)
    places = capacity.summary([session])[session.id]
    answer = {**session_payload(session, places), "stream_url": session.stream_url}
    db.session.commit()
    return answer
