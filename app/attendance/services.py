"""Attendance from venue check-ins and time in the live room, and organisers' corrections.

A session's records are computed with a handful of aggregate queries whatever its size:
who held a place, who checked in, and everyone's room intervals. They are kept current three
ways: check-ins and the live room announce changes for one person (receivers.py, each its own
unit of work after the change committed), a periodic job recomputes sessions under way and
finalises those due (jobs.py, run by the mail thread or worker), and the `attendance` CLI
finalises sessions a set number of hours after their end and rebuilds any of them on demand.
Pages and the API only read the records: a GET never writes.

Services flush; their edges (a correction's view or API operation, the CLI, a receiver) commit.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.attendance import figures
from app.attendance.archive_credit import attended_by_archive
from app.attendance.models import Attendance, AttendanceStatus, SessionAttendance
from app.attendance.signals import attendance_finalised
from app.audit import services as audit
from app.checkin.models import CheckIn
from app.core.errors import ValidationFailed
from app.core.text import single_line
from app.core.types import utcnow
from app.events.models import Series, Session, SessionStatus
from app.extensions import db
from app.live import presence
from app.live.models import Connection
from app.registration.models import Place, PlaceStatus, Registration

log = logging.getLogger("kakawari.attendance")

REASON_MAX = 500


def final_after(session: Session) -> datetime:
    hours = current_app.config.get("ATTENDANCE_FINAL_HOURS", 24)
    return session.ends_at + timedelta(hours=hours)


def required_seconds(session: Session) -> int:
    """Time in the room that counts as attending online: the series' threshold percent of the
    scheduled duration (at least one second)."""
    duration = (session.ends_at - session.starts_at).total_seconds()
    percent = session.series.online_threshold_percent or 0
    return max(1, math.ceil(duration * percent / 100))


def classify(
    *, place: Place, starts_at: datetime, checked_in_at, online_seconds: int, required: int
) -> AttendanceStatus:
    if checked_in_at is not None:
        return AttendanceStatus.attended_venue
    if place.status is PlaceStatus.cancelled and (place.cancelled_at or starts_at) <= starts_at:
        return AttendanceStatus.excused
    if online_seconds >= required:
        return AttendanceStatus.attended_online
    if online_seconds > 0:
        return AttendanceStatus.partial
    return AttendanceStatus.absent


# --- computing -----------------------------------------------------------------------------------


def _places(session: Session, people: set[int] | None) -> dict[int, tuple[Place, int]]:
    """user id -> (place, registration id) for everyone who held a place: confirmed now, or
    confirmed once and cancelled later. A person with an old cancelled registration and a new
    one counts by the new one."""
    query = (
        select(Place, Registration.user_id)
        .join(Registration, Registration.id == Place.registration_id)
        .where(
            Place.session_id == session.id,
            or_(
                Place.status == PlaceStatus.confirmed,
                and_(Place.status == PlaceStatus.cancelled, Place.confirmed_at.is_not(None)),
            ),
        )
        .order_by(Place.id)
    )
    if people is not None:
        query = query.where(Registration.user_id.in_(people))
    found: dict[int, tuple[Place, int]] = {}
    for place, user_id in db.session.execute(query):
        held = found.get(user_id)
        if held is None or held[0].status is PlaceStatus.cancelled:
            found[user_id] = (place, place.registration_id)
    return found


def _checkins(session: Session, registration_ids: Iterable[int]) -> dict[int, datetime]:
    """registration id -> when the standing check-in admitted them."""
    query = (
        select(CheckIn.registration_id, func.min(CheckIn.checked_in_at))
        .where(
            CheckIn.session_id == session.id,
            CheckIn.standing,
        )
        .group_by(CheckIn.registration_id)
    )
    ids = list(registration_ids)
    if len(ids) < 500:
        query = query.where(CheckIn.registration_id.in_(ids))
    return dict(db.session.execute(query).all())


def _online_seconds(session: Session, people: set[int] | None, now: datetime) -> dict[int, int]:
    """user id -> seconds in the room inside the session's time, tabs and reconnects merged;
    a socket still open counts to now, or to its last sign of life when it has gone quiet."""
    query = select(
        Connection.user_id, Connection.joined_at, Connection.last_seen_at, Connection.left_at
    ).where(
        Connection.session_id == session.id,
        Connection.joined_at < session.ends_at,
    )
    if people is not None:
        query = query.where(Connection.user_id.in_(people))
    spans: dict[int, list] = {}
    for user_id, joined_at, last_seen_at, left_at in db.session.execute(query):
        end = left_at or min(now, last_seen_at + presence.STALE_AFTER)
        spans.setdefault(user_id, []).append((joined_at, end))
    return {
        user_id: presence.seconds_in(
            presence.merge_presence_intervals(found), session.starts_at, session.ends_at
        )
        for user_id, found in spans.items()
    }


def compute_session(session: Session, *, people=None, now=None) -> int:
    """Bring the session's records (or only those of `people`, user ids) in line with the
    check-ins and presence; overrides stay. Flushes (the caller commits); returns the number
    of records changed. A record created at once by another process rolls the caller's
    transaction back and computes again."""
    now = now or utcnow()
    people = set(people) if people is not None else None
    for attempt in range(3):
        try:
            changed = _compute(session, people, now)
            db.session.flush()
            return changed
        except IntegrityError:  # another process created the same record at once: again
            db.session.rollback()
            if attempt == 2:
                raise
    return 0


def _compute(session: Session, people: set[int] | None, now: datetime) -> int:
    existing_query = select(Attendance).where(Attendance.session_id == session.id)
    if people is not None:
        existing_query = existing_query.where(Attendance.user_id.in_(people))
    existing = {a.user_id: a for a in db.session.scalars(existing_query)}

    if session.status is SessionStatus.cancelled or session.starts_at > now:
        places = {}  # nobody attends a cancelled session or one that has not started
    else:
        places = _places(session, people)
    checkins = _checkins(session, (r for _, r in places.values())) if places else {}
    online = _online_seconds(session, people, now) if places else {}
    required = required_seconds(session) if places else 0

    changed = 0
    for user_id, (place, registration_id) in places.items():
        computed = classify(
            place=place,
            starts_at=session.starts_at,
            checked_in_at=checkins.get(registration_id),
            online_seconds=online.get(user_id, 0),
            required=required,
        )
        values = {
            "registration_id": registration_id,
            "mode": place.mode,
            "computed_status": computed,
            "online_seconds": online.get(user_id, 0),
            "checked_in_at": checkins.get(registration_id),
        }
        record = existing.pop(user_id, None)
        if record is None:
            record = Attendance(session_id=session.id, user_id=user_id, **values)
            record.status = computed
            record.updated_at = now
            db.session.add(record)
            changed += 1
            continue
        if any(getattr(record, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(record, k, v)
            record.updated_at = now
            changed += 1
        status = record.override_status or computed
        if record.status is not status:
            record.status = status
            record.updated_at = now
            changed += 1
    for record in existing.values():  # no longer holds a place (or the session was cancelled)
        if record.override_status is None:
            db.session.delete(record)
            changed += 1
    if people is None:
        state = db.session.get(SessionAttendance, session.id)
        if state is None:
            state = SessionAttendance(session_id=session.id)
            db.session.add(state)
        state.computed_at = now
    return changed


def is_final(session_id: int) -> bool:
    state = db.session.get(SessionAttendance, session_id)
    return state is not None and state.final_at is not None


def finalize(session: Session, now=None) -> None:
    """Compute the session once more, mark it final and count its figures (figures.py), in
    the caller's unit of work. Flushes; the caller commits."""
    now = now or utcnow()
    compute_session(session, now=now)
    state = db.session.get(SessionAttendance, session.id)
    first = state.final_at is None
    state.final_at = now
    figures.refresh(session)
    if first:
        attendance_finalised.send(session)


def sessions_due(now=None) -> list[Session]:
    """Sessions past their finalisation time whose attendance is not final yet."""
    now = now or utcnow()
    hours = current_app.config.get("ATTENDANCE_FINAL_HOURS", 24)
    final = select(SessionAttendance.session_id).where(SessionAttendance.final_at.is_not(None))
    return list(
        db.session.scalars(
            select(Session)
            .where(
                Session.status == SessionStatus.scheduled,
                Session.ends_at <= now - timedelta(hours=hours),
                Session.id.not_in(final),
            )
            .order_by(Session.ends_at)
        )
    )


def recompute(sessions: Iterable[Session], now=None) -> int:
    """Rebuild the sessions' records from scratch evidence (overrides stay); sessions past
    their finalisation time (or final already) are final afterwards, their figures counted
    again."""
    now = now or utcnow()
    done = 0
    for session in sessions:
        if final_after(session) <= now or is_final(session.id):
            finalize(session, now)
        else:
            compute_session(session, now=now)
        done += 1
    return done


def update_people(session_id: int, user_ids: Iterable[int]) -> None:
    """A receiver's entry: something happened to these people in this session. Final sessions
    are left alone. Flushes: the receiver, its own unit of work, commits."""
    session = db.session.get(Session, session_id)
    # before the start nobody has a record yet (a check-in then counts from the start)
    if session is None or session.starts_at > utcnow() or is_final(session_id):
        return
    compute_session(session, people=set(user_ids))


# --- organisers' corrections ----------------------------------------------------------------


def override(record: Attendance, status: str | None, reason, actor) -> Attendance:
    """Set (or with status None, clear) the organiser's verdict on a record. A reason is
    required and the change is audited."""
    errors: dict[str, list] = {}
    new_status = None
    if status is not None:
        try:
            new_status = AttendanceStatus(status)
        except ValueError:
            errors["status"] = [_l("Choose one of the attendance statuses.")]
    try:
        reason = single_line(reason if isinstance(reason, str) else "", REASON_MAX)
    except ValueError:
        errors["reason"] = [
            _l("Give a reason for the correction (at most %(n)s characters).", n=REASON_MAX)
        ]
    if errors:
        raise ValidationFailed(fields=errors)
    before = record.status
    record.override_status = new_status
    record.override_reason = reason
    record.overridden_by_id = actor.id
    record.overridden_at = utcnow()
    record.status = new_status or record.computed_status
    record.updated_at = utcnow()
    figures.corrected(record, before)
    audit.record(
        "attendance.override",
        actor=actor,
        subject=record.user,
        org=record.session.series.org,
        session_id=record.session_id,
        attendance_id=record.id,
        before=before.value,
        after=record.status.value,
        override=new_status.value if new_status else None,
        reason=reason,
    )
    db.session.flush()
    return record


# --- progress ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    series_id: int
    attended: int  # sessions attended (venue or online, or by archive where that counts)
    sessions: int  # sessions of the series that take place (not cancelled)
    required: int | None  # the completion rule: at least this many; None: no rule
    archive: int = 0  # of `attended`: sessions counted by watching their archive

    @property
    def completed(self) -> bool:
        return self.required is not None and self.attended >= self.required


def progress(user_id: int, series_ids: Iterable[int]) -> dict[int, Progress]:
    """Each series' progress for one person, in two aggregate queries."""
    series_ids = list(set(series_ids))
    if not series_ids:
        return {}
    attended = dict(
        db.session.execute(
            select(Session.series_id, func.count(Attendance.id))
            .join(Attendance, Attendance.session_id == Session.id)
            .where(
                Attendance.user_id == user_id,
                Session.series_id.in_(series_ids),
                Session.status == SessionStatus.scheduled,
                Attendance.status.in_(
                    [AttendanceStatus.attended_venue, AttendanceStatus.attended_online]
                ),
            )
            .group_by(Session.series_id)
        ).all()
    )
    rows = db.session.execute(
        select(
            Series.id,
            Series.completion_min_sessions,
            Series.archive_counts_minutes,
            func.count(Session.id),
        )
        .outerjoin(
            Session, and_(Session.series_id == Series.id, Session.status == SessionStatus.scheduled)
        )
        .where(Series.id.in_(series_ids))
        .group_by(Series.id, Series.completion_min_sessions, Series.archive_counts_minutes)
    ).all()
    counting = [sid for sid, _required, minutes, _count in rows if minutes is not None]
    by_archive = attended_by_archive(user_id, counting) if counting else {}
    return {
        sid: Progress(
            sid,
            attended.get(sid, 0) + by_archive.get(sid, 0),
            count,
            required,
            by_archive.get(sid, 0),
        )
        for sid, required, _minutes, count in rows
    }
