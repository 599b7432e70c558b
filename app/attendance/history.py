"""参加履歴: every session a person registered for, across series and organisations, with what
attendance says about each and their progress per series; and its CSV and JSON forms.

Loaded in a fixed number of queries however long the history is (the page, the downloads and
the API all call `history`).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.archive.services import minutes_of as archive_minutes_of
from app.attendance.models import Attendance, AttendanceStatus
from app.attendance.services import Progress, progress
from app.core import csvfile
from app.core.csvfile import text_cell
from app.core.timefmt import to_local
from app.core.types import utcnow
from app.events.models import Mode, Series, Session
from app.extensions import db
from app.registration.forms import MODE_LABELS
from app.registration.models import Place, PlaceStatus, Registration

# What a session in someone's history says, beyond the attendance statuses themselves.
SCHEDULED = "scheduled"  # a place for a session still to come
IN_PROGRESS = "in_progress"  # under way, not counted as attended (yet)
PENDING = "pending"  # over, no record yet
WAITLISTED = "waitlisted"
APPLIED = "applied"  # lottery not drawn
NO_PLACE = "no_place"  # over while still waiting for a place
CANCELLED = "cancelled"  # the person cancelled (and no record says more)
SESSION_CANCELLED = "session_cancelled"  # 中止

STATUSES = [
    *(s.value for s in AttendanceStatus),
    SCHEDULED,
    IN_PROGRESS,
    PENDING,
    WAITLISTED,
    APPLIED,
    NO_PLACE,
    CANCELLED,
    SESSION_CANCELLED,
]

STATUS_LABELS = {
    AttendanceStatus.attended_venue.value: _l("Attended at the venue"),
    AttendanceStatus.attended_online.value: _l("Attended online"),
    AttendanceStatus.absent.value: _l("Absent"),
    AttendanceStatus.excused.value: _l("Cancelled in time (not counted as absent)"),
    SCHEDULED: _l("Scheduled"),
    IN_PROGRESS: _l("Under way"),
    PENDING: _l("Not counted yet"),
    WAITLISTED: _l("On the waitlist"),
    APPLIED: _l("Lottery pending"),
    NO_PLACE: _l("No place (waitlist)"),
    CANCELLED: _l("Cancelled"),
    SESSION_CANCELLED: _l("Session cancelled"),
}


def status_label(status: str, online_minutes: int | None = None) -> str:
    if status == AttendanceStatus.partial.value:
        return _("Partly attended (%(n)d min)", n=online_minutes or 0)
    return str(STATUS_LABELS[status])


@dataclass(frozen=True)
class SessionEntry:
    session: Session
    mode: Mode
    status: str  # one of STATUSES
    online_minutes: int | None  # None: nothing measured (not held yet, or no record)
    checked_in_at: datetime | None
    #: minutes watching the session's archive (apart from attendance); None: never watched
    archive_minutes: int | None = None

    @property
    def label(self) -> str:
        return status_label(self.status, self.online_minutes)


@dataclass(frozen=True)
class SeriesEntry:
    series: Series
    progress: Progress
    sessions: list[SessionEntry]


# --- loading -----------------------------------------------------------------------------------


def _held_places(registrations: list[Registration]) -> dict[int, dict[int, Place]]:
    """series id -> session id -> the place that speaks for the person: the active one, else
    the last cancelled one that was confirmed once, else the last one."""
    found: dict[int, dict[int, Place]] = {}
    for registration in registrations:
        for place in registration.places:
            held = found.setdefault(registration.series_id, {})
            current = held.get(place.session_id)
            if current is None or _rank(place) >= _rank(current):
                held[place.session_id] = place
    return found


def _rank(place: Place) -> tuple:
    return (place.status is not PlaceStatus.cancelled, place.confirmed_at is not None, place.id)


def _status(place: Place, record: Attendance | None, now: datetime) -> str:
    session = place.session
    if session.is_cancelled:
        return SESSION_CANCELLED
    if record is not None and (record.status.attended or session.ends_at <= now):
        return record.status.value
    if place.status is PlaceStatus.cancelled:
        return CANCELLED
    if place.status in (PlaceStatus.waitlisted, PlaceStatus.applied):
        if session.starts_at <= now:
            return NO_PLACE
        return WAITLISTED if place.status is PlaceStatus.waitlisted else APPLIED
    if session.starts_at > now:
        return SCHEDULED
    if session.ends_at > now:
        return IN_PROGRESS
    return PENDING


def history(user: User, now: datetime | None = None) -> list[SeriesEntry]:
    """The person's history, series whose sessions are latest first, each series' sessions in
    order. Reads only: attendance of sessions under way is as the receivers and the periodic
    job (jobs.py) left it."""
    now = now or utcnow()
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user.id)
        .order_by(Registration.id)
        .options(
            selectinload(Registration.places).selectinload(Place.session),
            selectinload(Registration.series).selectinload(Series.org),
        )
    ).all()
    by_series = _held_places(registrations)
    series = {r.series_id: r.series for r in registrations}
    session_ids = [sid for held in by_series.values() for sid in held]
    records = {
        a.session_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.user_id == user.id, Attendance.session_id.in_(session_ids)
            )
        )
    }
    progresses = progress(user.id, by_series)
    archive = archive_minutes_of(user.id, session_ids)

    entries = []
    for series_id, held in by_series.items():
        sessions = []
        for place in sorted(held.values(), key=lambda p: (p.session.starts_at, p.session_id)):
            record = records.get(place.session_id)
            sessions.append(
                SessionEntry(
                    session=place.session,
                    mode=record.mode if record else place.mode,
                    status=_status(place, record, now),
                    online_minutes=record.online_minutes if record else None,
                    checked_in_at=record.checked_in_at if record else None,
                    archive_minutes=archive.get(place.session_id),
                )
            )
        entries.append(SeriesEntry(series[series_id], progresses[series_id], sessions))
    entries.sort(key=lambda e: max(s.session.starts_at for s in e.sessions), reverse=True)
    return entries


# --- downloads ---------------------------------------------------------------------------------


def payload(entries: list[SeriesEntry], certificate_url: Callable[[int], str]) -> dict:
    """The history as the API and the JSON download give it (times as datetimes)."""
    return {
        "series": [
            {
                "series_id": e.series.id,
                "title": e.series.title,
                "organization": e.series.org.name,
                "progress": {
                    "attended": e.progress.attended,
                    "sessions": e.progress.sessions,
                    "required": e.progress.required,
                    "completed": e.progress.completed,
                    "archive": e.progress.archive,
                },
                "certificate_url": certificate_url(e.series.id) if e.progress.completed else None,
                "sessions": [
                    {
                        "session_id": s.session.id,
                        "title": s.session.title,
                        "starts_at": s.session.starts_at,
                        "ends_at": s.session.ends_at,
                        "mode": s.mode.value,
                        "status": s.status,
                        "online_minutes": s.online_minutes,
                        "checked_in_at": s.checked_in_at,
                        "archive_minutes": s.archive_minutes,
                    }
                    for s in e.sessions
                ],
            }
            for e in entries
        ]
    }


def _local(dt: datetime | None) -> str:
    return to_local(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def history_header() -> list[str]:
    return [
        text_cell(h)
        for h in (
            _("Organisation"),
            _("Series"),
            _("Session"),
            _("Starts at"),
            _("Ends at"),
            _("Mode"),
            _("Attendance"),
            _("Minutes online"),
            _("Checked in at"),
            _("Sessions attended"),
            _("Sessions in the series"),
            _("Sessions required"),
            _("Completed"),
            _("Archive viewing (minutes)"),
        )
    ]


def history_rows(entries: list[SeriesEntry]) -> Iterator[list[str]]:
    """One row per session, for Excel: times in Asia/Tokyo, text never a formula."""
    for e in entries:
        p = e.progress
        for s in e.sessions:
            yield [
                text_cell(c)
                for c in (
                    e.series.org.name,
                    e.series.title,
                    s.session.title,
                    _local(s.session.starts_at),
                    _local(s.session.ends_at),
                    MODE_LABELS[s.mode],
                    s.label,
                    "" if s.online_minutes is None else s.online_minutes,
                    _local(s.checked_in_at),
                    p.attended,
                    p.sessions,
                    "" if p.required is None else p.required,
                    _("yes") if p.completed else _("no"),
                    "" if s.archive_minutes is None else s.archive_minutes,
                )
            ]


def history_csv(entries: list[SeriesEntry]) -> bytes:
    """The whole file at once: UTF-8 with a BOM (or Excel misreads Japanese); the download
    streams the same bytes with `csvfile.csv_response`."""
    return csvfile.to_bytes(history_header(), history_rows(entries))
