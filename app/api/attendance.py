"""API: attendance (出席) of a session and of a series, and organisers' corrections.

Reading and correcting are for organisers and owners (staff check people in at the door and
see no attendance records: the scanner shows its own counts); corrections go through
app.attendance.services.override(), the one place that validates and audits a correction.
Another organisation's people get 404 (its sessions do not exist for them); a participant of
the series gets 403.
"""

from functools import wraps

from flask_login import current_user
from marshmallow import Schema, fields
from marshmallow.validate import Length, Range
from sqlalchemy.orm import joinedload
from webargs.fields import DelimitedList

from app.api import Blueprint, ErrorSchema, PageQuery, requested_slice
from app.api.access import require_role_in
from app.api.accounts import BEARER, Prefecture
from app.api.etags import etag_of, send_etag, take_version, versioned
from app.api.events import prefecture_payload
from app.archive.services import figures as archive_figures
from app.attendance import dashboards
from app.attendance import services as attendance
from app.attendance.models import Attendance, AttendanceStatus
from app.attendance.schemas import ArchiveFiguresOut, VenueFigureOut, venue_figures_payload
from app.attendance.venue_figures import venue_figures
from app.core.access import declare, require_user
from app.core.errors import NotFound
from app.events.models import Mode, Series, Session, SessionStatus
from app.extensions import db
from app.orgs.models import Role

blp = Blueprint("api_attendance", __name__, description="Attendance (出席) and corrections")

STATUSES = [s.value for s in AttendanceStatus]
MODES = [m.value for m in Mode]
MAX_ID = 2**31 - 1
IDS_MAX = 500


# --- access ------------------------------------------------------------------------------------


def _load(model, object_id: int, *options):
    found = db.session.get(model, object_id, options=options)
    if found is None:
        raise NotFound()
    return found


def _session_organizer(view):
    @wraps(view)
    def wrapper(*args, session_id, **kwargs):
        require_user()
        session = _load(Session, session_id, joinedload(Session.series))
        require_role_in(session.series, Role.organizer)
        return view(*args, session=session, **kwargs)

    return declare(wrapper, "org:organizer")


def _series_organizer(view):
    @wraps(view)
    def wrapper(*args, series_id, **kwargs):
        require_user()
        series = _load(Series, series_id)
        require_role_in(series, Role.organizer)
        return view(*args, series=series, **kwargs)

    return declare(wrapper, "org:organizer")


def _record_organizer(view):
    @wraps(view)
    def wrapper(*args, attendance_id, **kwargs):
        require_user()
        record = _load(
            Attendance, attendance_id, joinedload(Attendance.session).joinedload(Session.series)
        )
        require_role_in(record.session.series, Role.organizer)
        return view(*args, record=record, **kwargs)

    return declare(wrapper, "org:organizer")


# --- schemas -----------------------------------------------------------------------------------


def _count(description=None):
    return fields.Integer(metadata={"description": description} if description else {})


class StatusCounts(Schema):
    registered = _count("Everyone who held a place (including the excused)")
    attended_venue = _count("Checked in at the venue")
    attended_online = _count("In the live room for at least the series' threshold")
    partial = _count("In the live room, below the threshold")
    absent = _count("Held a place, did not come (no-show)")
    excused = _count("Cancelled before the start")


class Counts(StatusCounts):
    venue = _count("Registered for the venue (a person let in at the venue counts here)")
    online = _count("Registered online")


class ByMode(Schema):
    venue = fields.Nested(StatusCounts)
    online = fields.Nested(StatusCounts)


class UserBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    prefecture = fields.Nested(Prefecture, allow_none=True)


class OverrideOut(Schema):
    status = fields.String(metadata={"enum": STATUSES})
    reason = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "The organiser's name"})
    at = fields.DateTime()


class RecordOut(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    user = fields.Nested(UserBrief)
    mode = fields.String(metadata={"enum": MODES, "description": "The place's mode"})
    status = fields.String(
        metadata={"enum": STATUSES, "description": "What counts: the override, if any"}
    )
    computed_status = fields.String(
        metadata={"enum": STATUSES, "description": "What check-ins and time online say"}
    )
    online_minutes = fields.Integer()
    checked_in_at = fields.DateTime(allow_none=True)
    override = fields.Nested(
        OverrideOut, allow_none=True, metadata={"description": "The organiser's correction"}
    )
    etag = fields.String(
        metadata={"description": "The record's version, for a correction's If-Match"}
    )


class SessionAttendanceQuery(PageQuery):
    """Which of the session's records to answer with; by default all of them. The counts are
    always everyone's."""

    ids = DelimitedList(
        fields.Integer(validate=Range(1, MAX_ID)),
        validate=Length(max=IDS_MAX),
        metadata={"description": "Only these records (ids, comma-separated), e.g. the rows "
                  "a page shows"},
    )  # fmt: skip
    counts_only = fields.Boolean(
        load_default=False, metadata={"description": "No records at all, only the counts"}
    )


class SessionAttendanceOut(Schema):
    session_id = fields.Integer()
    final = fields.Boolean(metadata={"description": "No longer changes by itself"})
    counts = fields.Nested(Counts)
    by_mode = fields.Nested(
        ByMode, metadata={"description": "How they registered -> how they came"}
    )
    archive = fields.Nested(
        ArchiveFiguresOut,
        metadata={"description": "アーカイブ視聴, apart from attendance (not in `counts`)"},
    )
    venues = fields.List(
        fields.Nested(VenueFigureOut),
        metadata={"description": "Per venue, then online, for a session held at several venues"
                  " (サテライト会場); empty otherwise"},
    )  # fmt: skip
    records = fields.List(
        fields.Nested(RecordOut),
        metadata={"description": "By furigana: all of them, or those the query asks for "
                  "(`counts.registered` is how many there are in all)"},
    )  # fmt: skip


class SeriesSessionOut(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    status = fields.String(metadata={"enum": [s.value for s in SessionStatus]})
    counts = fields.Nested(Counts)
    archive = fields.Nested(
        ArchiveFiguresOut,
        metadata={"description": "アーカイブ視聴, apart from attendance (not in `counts`)"},
    )
    venues = fields.List(
        fields.Nested(VenueFigureOut),
        metadata={"description": "Per venue, then online, for a session held at several venues"
                  " (サテライト会場); empty otherwise"},
    )  # fmt: skip


class SeriesPersonOut(Schema):
    user = fields.Nested(UserBrief)
    attended = fields.Integer(
        metadata={"description": "Sessions attended, venue or online, or by archive viewing "
                  "where the series counts it"}
    )  # fmt: skip
    archive = fields.Integer(
        metadata={"description": "Of `attended`: sessions counted by watching their archive"}
    )
    completed = fields.Boolean(metadata={"description": "The completion rule is met"})
    sessions = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata={"enum": STATUSES}),
        metadata={"description": "Session id -> status (sessions that take place)"},
    )


class SeriesAttendanceOut(Schema):
    series_id = fields.Integer()
    completion_min_sessions = fields.Integer(allow_none=True)
    archive_counts_minutes = fields.Integer(
        allow_none=True,
        metadata={"description": "Archive viewing of at least this many minutes of a session "
                  "not attended live counts as attended; null: it does not count"},
    )  # fmt: skip
    completions = fields.Integer(metadata={"description": "People who met the completion rule"})
    sessions = fields.List(fields.Nested(SeriesSessionOut))
    people = fields.List(fields.Nested(SeriesPersonOut), metadata={"description": "By furigana"})


class CorrectionRequest(Schema):
    status = fields.String(
        required=True,
        allow_none=True,
        metadata={"enum": [*STATUSES, None], "description": "null: back to automatic"},
    )
    reason = fields.String(required=True, metadata={"description": "Required, one line"})


# --- answers -----------------------------------------------------------------------------------


def _user(user) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "furigana": user.furigana,
        "prefecture": prefecture_payload(user.prefecture),
    }


def record_payload(record: Attendance) -> dict:
    override = None
    if record.override_status is not None:
        override = {
            "status": record.override_status.value,
            "reason": record.override_reason,
            "by": record.overridden_by.name if record.overridden_by else None,
            "at": record.overridden_at,
        }
    return {
        "id": record.id,
        "session_id": record.session_id,
        "user": _user(record.user),
        "mode": record.mode.value,
        "status": record.status.value,
        "computed_status": record.computed_status.value,
        "online_minutes": record.online_minutes,
        "checked_in_at": record.checked_in_at,
        "override": override,
        "etag": f'"{etag_of(record)}"',
    }


def _archive(found: tuple[int, int] | None) -> dict:
    people, minutes = found or (0, 0)
    return {"people": people, "minutes": minutes}


def _by_mode(summary: dashboards.SessionSummary) -> dict:
    keys = ("registered", *STATUSES)
    return {mode: {k: found[k] for k in keys} for mode, found in summary.by_mode.items()}


# --- routes ------------------------------------------------------------------------------------


def _documented_errors(extra: dict[int, str] | None = None):
    described = {
        401: "Not logged in",
        403: "A participant of the series",
        404: "Not in your organisations",
        **(extra or {}),
    }

    def decorator(view):
        for status, description in described.items():
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return blp.doc(security=BEARER)(view)

    return decorator


def _asked_records(session_id: int, query: dict) -> list[Attendance]:
    if query["counts_only"]:
        return []
    if "ids" in query:
        return dashboards.session_records(session_id, ids=query["ids"])
    offset, limit = requested_slice(query) or (0, None)  # everyone, unless a page is asked
    return dashboards.session_records(session_id, offset=offset, limit=limit)


@blp.route("/sessions/<int:session_id>/attendance", methods=["GET"])
@blp.arguments(SessionAttendanceQuery, location="query")
@blp.response(200, SessionAttendanceOut)
@_documented_errors()
@_session_organizer
def session_attendance(query, session: Session):
    """A session's attendance: counts, the venue/online split and everyone's record (or one
    page of the records, or some of them, or none).

    While the session is under way the records are as the last check-in or room change and
    the periodic pass (every 15 seconds) left them; empty before it starts. A page past the
    last has no records. Staff and above of the organisation."""
    summary = dashboards.session_summary(session.id)
    return {
        "session_id": session.id,
        "final": attendance.is_final(session.id),
        "counts": summary.counts,
        "by_mode": _by_mode(summary),
        "archive": _archive(archive_figures([session.id]).get(session.id)),
        "venues": venue_figures_payload(venue_figures([session]).get(session.id, [])),
        "records": [record_payload(r) for r in _asked_records(session.id, query)],
    }


@blp.route("/series/<int:series_id>/attendance", methods=["GET"])
@blp.response(200, SeriesAttendanceOut)
@_documented_errors()
@_series_organizer
def series_attendance(series: Series):
    """A series' attendance: counts per session, and per person their status in each
    session that takes place, sessions attended and whether they completed the series.

    Staff and above of the organisation."""
    sessions = series.sessions
    counts = dashboards.session_counts([s.id for s in sessions])
    watched = archive_figures([s.id for s in sessions])
    per_venue = venue_figures(sessions)
    required = series.completion_min_sessions
    people = []
    for person in dashboards.series_people(series):
        attended = person.attended
        people.append(
            {
                "user": _user(person.user),
                "attended": attended,
                "archive": len(person.archive),
                "completed": required is not None and attended >= required,
                "sessions": {str(sid): status.value for sid, status in person.sessions.items()},
            }
        )
    return {
        "series_id": series.id,
        "completion_min_sessions": required,
        "archive_counts_minutes": series.archive_counts_minutes,
        "completions": sum(1 for p in people if p["completed"]),
        "sessions": [
            {
                "id": s.id,
                "title": s.title,
                "starts_at": s.starts_at,
                "status": s.status.value,
                "counts": counts[s.id],
                "archive": _archive(watched.get(s.id)),
                "venues": venue_figures_payload(per_venue.get(s.id, [])),
            }
            for s in sessions
        ],
        "people": people,
    }


@blp.route("/attendance/<int:attendance_id>", methods=["GET"])
@versioned
@blp.response(200, RecordOut)
@_documented_errors({403: "Staff of the organisation, or a participant of the series"})
@_record_organizer
def attendance_record(record: Attendance):
    """One attendance record, with its ETag for a correction's If-Match. Organisers and
    owners."""
    send_etag(record)
    return record_payload(record)


@blp.route("/attendance/<int:attendance_id>", methods=["PATCH"])
@versioned
@blp.arguments(CorrectionRequest)
@blp.response(200, RecordOut)
@_documented_errors(
    {
        403: "Staff of the organisation, or a participant of the series",
        422: "An unknown `status`, or no `reason`",
    }
)
@_record_organizer
def correct(body, record: Attendance):
    """Correct a record: set the status that counts, or with `status: null` go back to what
    check-ins and time online say.

    A reason is required; the change is recorded in the organisation's log and survives
    recomputation. Organisers and owners.

    With `If-Match: <ETag>` (of GET /attendance/{attendance_id}, or `etag` in a list) the
    correction is made only if the record did not change since: else 412
    `precondition_failed`."""
    take_version(record)
    attendance.override(record, body["status"], body["reason"], current_user)
    db.session.commit()
    send_etag(record)
    return record_payload(record)
