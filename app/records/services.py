"""The activities of a 関わり証明, computed from the database each time it is shown.

An activity is a session of the 年度 (its start, Japan time) whose attendance is final
(SessionAttendance.final_at) and whose record says the person attended: at the venue
(attended_venue) or online for at least the series' threshold (attended_online). Partial
presence, absences and sessions cancelled by the organiser are not activities. Minutes are the
session's length at the venue, and the measured time in the live room online.

Archive viewing (アーカイブ視聴) is listed apart: the sessions whose recording the person first
watched in the 年度, at least a minute, that are not already activities.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.attendance.figures import fiscal_year_bounds, fiscal_year_of
from app.attendance.models import Attendance, AttendanceStatus, SessionAttendance
from app.audit import services as audit
from app.core.errors import NotFound
from app.core.types import utcnow
from app.events.models import Mode, Series, Session, SessionStatus
from app.extensions import db
from app.orgs.models import Organization
from app.records.models import ActivityRecord, ActivityRecordLink, ActivityRecordOrg

COUNTED = (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)
FIRST_YEAR = 2020


class _OfSession:
    """The series and organisation of a row's session."""

    session: Session

    @property
    def series(self) -> Series:
        return self.session.series

    @property
    def org(self) -> Organization:
        return self.session.series.org


@dataclass(frozen=True)
class Activity(_OfSession):
    session: Session
    mode: Mode
    minutes: int


@dataclass(frozen=True)
class Viewing(_OfSession):
    """アーカイブ視聴 of a session (apart from the activities)."""

    session: Session
    watched_at: datetime
    minutes: int


@dataclass(frozen=True)
class Record:
    user: User
    year: int
    #: every organisation with an activity in the 年度, by name
    orgs: list[Organization]
    #: the ids of those shown
    chosen: set[int]
    #: the activities of the chosen organisations, in date order
    activities: list[Activity]
    stored: ActivityRecord | None
    #: archive viewing of the chosen organisations, in date order
    viewings: list[Viewing] = ()

    @property
    def minutes(self) -> int:
        return sum(a.minutes for a in self.activities)

    @property
    def active_links(self) -> list[ActivityRecordLink]:
        return (
            [link for link in self.stored.links if link.withdrawn_at is None] if self.stored else []
        )


def valid_year(year: int, now: datetime | None = None) -> int:
    """The 年度 a record may be asked for (404 outside them)."""
    if not FIRST_YEAR <= year <= fiscal_year_of(now or utcnow()):
        raise NotFound()
    return year


def fiscal_year_of_now() -> int:
    return fiscal_year_of(utcnow())


def latest_year(user: User) -> int:
    """The 年度 of the person's latest counted activity (this one when there is none): in April,
    the year just ended is the one a municipality asks for."""
    last = db.session.scalar(
        select(func.max(Session.starts_at))
        .join(Attendance, Attendance.session_id == Session.id)
        .where(Attendance.user_id == user.id, Attendance.status.in_(COUNTED))
    )
    return fiscal_year_of(last) if last else fiscal_year_of_now()


def years_of(user: User) -> list[int]:
    """The 年度 to offer: from the person's first attended session's (or this one) to now."""
    first = db.session.scalar(
        select(Session.starts_at)
        .join(Attendance, Attendance.session_id == Session.id)
        .where(Attendance.user_id == user.id, Attendance.status.in_(COUNTED))
        .order_by(Session.starts_at)
        .limit(1)
    )
    current = fiscal_year_of_now()
    low = max(FIRST_YEAR, min(fiscal_year_of(first), current) if first else current)
    return list(range(current, low - 1, -1))


def counts_as_activity(year: int):
    """The rule of an activity, for a query joining Attendance, Session and SessionAttendance:
    final attendance at the venue or online, in a session of the 年度 that was held."""
    start, end = fiscal_year_bounds(year)
    return and_(
        Attendance.status.in_(COUNTED),
        SessionAttendance.final_at.is_not(None),
        Session.starts_at >= start,
        Session.starts_at < end,
        Session.status != SessionStatus.cancelled,
    )


def activities(user_id: int, year: int) -> list[Activity]:
    """Every activity of the person in the 年度, of every organisation, in date order."""
    records = db.session.scalars(
        select(Attendance)
        .join(Session, Session.id == Attendance.session_id)
        .join(SessionAttendance, SessionAttendance.session_id == Session.id)
        .where(Attendance.user_id == user_id, counts_as_activity(year))
        .order_by(Session.starts_at, Session.id)
        .options(
            selectinload(Attendance.session).selectinload(Session.series).selectinload(Series.org)
        )
    ).all()
    found = []
    for a in records:
        session = a.session
        if a.status is AttendanceStatus.attended_venue:
            minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
            found.append(Activity(session, Mode.venue, minutes))
        else:
            found.append(Activity(session, Mode.online, a.online_minutes))
    return found


def viewings(user_id: int, year: int, counted: set[int]) -> list[Viewing]:
    """The person's archive viewing first watched in the 年度 (a minute or more), of sessions
    not in `counted` (the activities)."""
    start, end = fiscal_year_bounds(year)
    rows = db.session.execute(
        select(ArchiveViewing, Session)
        .join(Session, Session.id == ArchiveViewing.session_id)
        .where(
            ArchiveViewing.user_id == user_id,
            ArchiveViewing.seconds >= 60,
            ArchiveViewing.first_at >= start,
            ArchiveViewing.first_at < end,
            Session.status != SessionStatus.cancelled,
        )
        .order_by(ArchiveViewing.first_at, Session.id)
        .options(selectinload(Session.series).selectinload(Series.org))
    ).all()
    return [
        Viewing(session, viewing.first_at, viewing.minutes)
        for viewing, session in rows
        if session.id not in counted
    ]


def stored_record(user_id: int, year: int) -> ActivityRecord | None:
    return db.session.scalar(
        select(ActivityRecord)
        .where(ActivityRecord.user_id == user_id, ActivityRecord.year == year)
        .options(selectinload(ActivityRecord.orgs), selectinload(ActivityRecord.links))
    )


def _build(user: User, year: int, stored: ActivityRecord | None) -> Record:
    every = activities(user.id, year)
    watched = viewings(user.id, year, {a.session.id for a in every})
    orgs = {a.org.id: a.org for a in [*every, *watched]}
    chosen = set(orgs) if stored is None else {o.org_id for o in stored.orgs} & set(orgs)
    return Record(
        user=user,
        year=year,
        orgs=sorted(orgs.values(), key=lambda o: (o.name, o.id)),
        chosen=chosen,
        activities=[a for a in every if a.org.id in chosen],
        stored=stored,
        viewings=[v for v in watched if v.org.id in chosen],
    )


def record_for(user: User, year: int) -> Record:
    """The person's own record of the 年度, as they chose it. Reads only."""
    return _build(user, year, stored_record(user.id, year))


def _ensure(user: User, year: int) -> ActivityRecord:
    stored = stored_record(user.id, year)
    if stored is None:
        stored = ActivityRecord(user_id=user.id, year=year)
        stored.orgs = [ActivityRecordOrg(org_id=o.id) for o in record_for(user, year).orgs]
        db.session.add(stored)
        db.session.flush()
    return stored


def choose_orgs(user: User, year: int, org_ids: set[int]) -> ActivityRecord:
    """Show only these organisations (among those with activities). Flushes."""
    known = {o.id for o in record_for(user, year).orgs}
    stored = _ensure(user, year)
    stored.orgs = [ActivityRecordOrg(org_id=i) for i in sorted(org_ids & known)]
    db.session.flush()
    audit.record(
        "record.orgs_chosen", actor=user, subject=user, year=year, orgs=sorted(org_ids & known)
    )
    return stored


def create_link(user: User, year: int) -> ActivityRecordLink:
    """A new verification link for the record. Flushes."""
    stored = _ensure(user, year)
    link = ActivityRecordLink(record=stored, code=secrets.token_urlsafe(16), created_at=utcnow())
    db.session.add(link)
    db.session.flush()
    audit.record("record.link_created", actor=user, subject=user, year=year, link_id=link.id)
    return link


def own_link(user: User, link_id: int) -> ActivityRecordLink:
    link = db.session.get(ActivityRecordLink, link_id)
    if link is None or link.record.user_id != user.id:
        raise NotFound()
    return link


def withdraw_link(user: User, link_id: int) -> ActivityRecordLink:
    """Withdraw one of the person's links (its address then answers 404). Flushes."""
    link = own_link(user, link_id)
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
        db.session.flush()
        audit.record(
            "record.link_withdrawn",
            actor=user,
            subject=user,
            year=link.record.year,
            link_id=link.id,
        )
    return link


def verify(code: str) -> Record | None:
    """The record a link shows, recomputed now; None for an unknown or withdrawn code."""
    if not code or len(code) > 32:
        return None
    link = db.session.scalar(select(ActivityRecordLink).where(ActivityRecordLink.code == code))
    if link is None or link.withdrawn_at is not None:
        return None
    stored = stored_record(link.record.user_id, link.record.year)
    return _build(stored.user, stored.year, stored)
