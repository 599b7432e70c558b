"""What organisers see of attendance: counts per session, one session's people, and one
person's history within an organisation.

Aggregate queries only: a page costs the same handful of queries for 10 people or 50,000, a
final session's counts are read from its kept figures (figures.py), and a session's table is
read a page at a time (`session_people`). These functions only read: attendance is kept
current by the writes and the periodic pass (jobs.py).
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.accounts.models import User
from app.attendance import archive_credit, figures
from app.attendance.models import Attendance, AttendanceStatus
from app.attendance.services import Progress, progress
from app.core.paging import PageWindow, page_number
from app.core.text import name_matches
from app.events.models import Mode, Series, Session, SessionStatus
from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration

STATUSES = tuple(AttendanceStatus)
#: keys of `session_counts` besides the statuses: everyone with a record, and by place mode
TOTALS = ("registered", Mode.venue.value, Mode.online.value)


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys([*(s.value for s in STATUSES), *TOTALS], 0)


def _grouped(
    session_ids, kept: dict | None = None
) -> list[tuple[int, Mode, AttendanceStatus, int]]:
    """(session id, place mode, status, people): the figures kept for the final sessions
    (figures.stored, unless given as `kept`), one GROUP BY of the records for the others."""
    session_ids = list(session_ids)
    if kept is None:
        kept = figures.stored(session_ids)
    rows = [(sid, *row) for sid, found in kept.items() for row in figures.grouped_rows(found)]
    live = [sid for sid in session_ids if sid not in kept]
    if live:
        rows += db.session.execute(
            select(Attendance.session_id, Attendance.mode, Attendance.status, func.count())
            .where(Attendance.session_id.in_(live))
            .group_by(Attendance.session_id, Attendance.mode, Attendance.status)
        ).all()
    return rows


def session_counts(session_ids, kept: dict | None = None) -> dict[int, dict[str, int]]:
    """session id -> {status: n for every status, "registered": everyone who held a place,
    "venue"/"online": by the mode of their place}, in two queries at most (the final
    sessions' kept figures, or `kept` when the caller has them; the others' records). Every
    id given gets an entry (all zeros before the session starts)."""
    session_ids = list(session_ids)
    counts = {sid: _empty_counts() for sid in session_ids}
    if not session_ids:
        return counts
    for session_id, mode, status, n in _grouped(session_ids, kept):
        found = counts[session_id]
        found[status.value] += n
        found["registered"] += n
        found[mode.value] += n
    return counts


@dataclass(frozen=True)
class SessionSummary:
    counts: dict[str, int]  # as in session_counts
    #: place mode (how they registered) -> status (how they came) -> people
    by_mode: dict[str, dict[str, int]]


def session_summary(session_id: int) -> SessionSummary:
    """One session's counts and its venue/online split: its kept figures when it is final,
    else one GROUP BY of its records."""
    counts = _empty_counts()
    by_mode = {m.value: _empty_counts() for m in Mode}
    for _sid, mode, status, n in _grouped([session_id]):
        for found in (counts, by_mode[mode.value]):
            found[status.value] += n
            found["registered"] += n
        counts[mode.value] += n
    return SessionSummary(counts, by_mode)


#: people per page of a session's table
PER_PAGE = 100


def _records_matching(query, status: AttendanceStatus | None, search: str):
    if status is not None:
        query = query.where(Attendance.status == status)
    if search:
        query = query.where(name_matches(User.name, User.furigana, User.email, search))
    return query


def session_records(
    session_id: int,
    *,
    status: AttendanceStatus | None = None,
    search: str = "",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
    ids=None,
) -> list[Attendance]:
    """The session's records with their people (and who corrected them), by ふりがな: all of
    them, those with `status` or whose name, reading or email contains `search`, the slice
    `offset`/`limit` of these, or only the records `ids`. One query."""
    furigana = User.furigana.desc() if descending else User.furigana
    query = (
        select(Attendance)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.session_id == session_id)
        .order_by(furigana, User.id)
        .options(contains_eager(Attendance.user), joinedload(Attendance.overridden_by))
    )
    query = _records_matching(query, status, search)
    if ids is not None:
        query = query.where(Attendance.id.in_(ids))
    if offset or limit is not None:
        query = query.offset(offset).limit(limit)
    return list(db.session.scalars(query))


def count_records(
    session_id: int, *, status: AttendanceStatus | None = None, search: str = ""
) -> int:
    """How many records `session_records` gives for the same filter, in one query: from the
    kept figures of a final session when there is no search."""
    if not search:
        kept = figures.stored([session_id]).get(session_id)
        if kept is not None:
            return sum(
                n
                for _mode, found, n in figures.grouped_rows(kept)
                if status is None or found is status
            )
    query = select(func.count()).select_from(Attendance).where(Attendance.session_id == session_id)
    if search:
        query = query.join(User, User.id == Attendance.user_id)
    return db.session.scalar(_records_matching(query, status, search))


@dataclass(frozen=True)
class PeoplePage(PageWindow):
    records: list[Attendance] = field(default_factory=list)


def session_people(
    session_id: int,
    *,
    status: AttendanceStatus | None = None,
    search: str = "",
    descending: bool = False,
    page: int = 1,
    per_page: int | None = None,
) -> PeoplePage:
    """One page of the session's table: two queries (how many, then the page's records),
    whatever the number of people. A page before the first is the first, one past the last
    the last (after a correction the filter may match fewer people)."""
    per_page = per_page or PER_PAGE
    total = count_records(session_id, status=status, search=search)
    window = PageWindow(page_number(page, total, per_page), per_page, total)
    records = session_records(
        session_id,
        status=status,
        search=search,
        descending=descending,
        offset=window.offset,
        limit=per_page,
    )
    return PeoplePage(window.number, per_page, total, records)


# --- before the start: who is expected ----------------------------------------------------------

#: the place statuses counted before the start, in the order the page shows them
EXPECTED_STATUSES = (PlaceStatus.confirmed, PlaceStatus.applied, PlaceStatus.waitlisted)


@dataclass(frozen=True)
class Expected:
    #: place mode -> place status -> people (cancelled places left out)
    by_mode: dict[str, dict[str, int]]

    def count(self, status: str = PlaceStatus.confirmed.value, mode: str | None = None) -> int:
        """People with a place in `status` (confirmed unless told), in `mode` or in any."""
        modes = [str(mode)] if mode else list(self.by_mode)
        return sum(self.by_mode[m][str(status)] for m in modes)


def expected_counts(session_id: int) -> Expected:
    """Before a session starts (no attendance yet): its places by mode and status, in one
    query. Read from the registration area's places, as the attendance records are later."""
    by_mode = {m.value: dict.fromkeys((s.value for s in EXPECTED_STATUSES), 0) for m in Mode}
    rows = db.session.execute(
        select(Place.mode, Place.status, func.count())
        .where(Place.session_id == session_id, Place.status.in_(EXPECTED_STATUSES))
        .group_by(Place.mode, Place.status)
    )
    for mode, status, n in rows:
        by_mode[Mode(mode).value][PlaceStatus(status).value] = n
    return Expected(by_mode)


@dataclass(frozen=True)
class ExpectedPage(PageWindow):
    places: list[Place] = field(default_factory=list)


def expected_people(
    session_id: int, *, search: str = "", page: int = 1, per_page: int | None = None
) -> ExpectedPage:
    """One page of the people expected at a session (a confirmed place), by mode (venue
    first) and ふりがな, with their person: two queries whatever the number."""
    per_page = per_page or PER_PAGE
    where = [Place.session_id == session_id, Place.status == PlaceStatus.confirmed]
    if search:
        where.append(name_matches(User.name, User.furigana, User.email, search))
    joined = (
        select(func.count())
        .select_from(Place)
        .join(Registration, Registration.id == Place.registration_id)
        .join(User, User.id == Registration.user_id)
    )
    total = db.session.scalar(joined.where(*where))
    window = PageWindow(page_number(page, total, per_page), per_page, total)
    places = db.session.scalars(
        select(Place)
        .join(Registration, Registration.id == Place.registration_id)
        .join(User, User.id == Registration.user_id)
        .where(*where)
        .order_by(Place.mode.desc(), User.furigana, User.id)
        .offset(window.offset)
        .limit(per_page)
        .options(contains_eager(Place.registration).contains_eager(Registration.user))
    ).all()
    return ExpectedPage(window.number, per_page, total, list(places))


# --- one person within one organisation ----------------------------------------------------------


@dataclass(frozen=True)
class SessionLine:
    session: Session
    place: Place | None
    record: Attendance | None


@dataclass(frozen=True)
class SeriesLine:
    registration: Registration
    sessions: list[SessionLine]
    progress: Progress | None

    @property
    def series(self) -> Series:
        return self.registration.series


def registrations_in_org(org_id: int, user_id: int) -> list[Registration]:
    """The person's registrations (cancelled ones too) for the organisation's series only,
    newest first, with their series, sessions and places loaded."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Series, Series.id == Registration.series_id)
            .where(Series.org_id == org_id, Registration.user_id == user_id)
            .order_by(Registration.created_at.desc(), Registration.id.desc())
            .options(
                contains_eager(Registration.series).selectinload(Series.sessions),
                selectinload(Registration.places),
            )
        )
    )


def person_history(registrations: list[Registration], user_id: int) -> list[SeriesLine]:
    """Each registration's sessions with the person's place and attendance record."""
    session_ids = [s.id for r in registrations for s in r.series.sessions]
    records = {}
    if session_ids:
        records = {
            a.session_id: a
            for a in db.session.scalars(
                select(Attendance)
                .where(Attendance.user_id == user_id, Attendance.session_id.in_(session_ids))
                .options(joinedload(Attendance.overridden_by))
            )
        }
    done = progress(user_id, [r.series_id for r in registrations])
    lines = []
    for r in registrations:
        sessions = []
        for s in r.series.sessions:
            record = records.get(s.id)
            if record is not None and record.registration_id != r.id:
                record = None  # an older registration for the same series
            place = r.place_for(s.id)
            if place is not None or record is not None:  # not the sessions they never chose
                sessions.append(SessionLine(s, place, record))
        lines.append(SeriesLine(r, sessions, done.get(r.series_id)))
    return lines


# --- one series ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInSeries:
    user: User
    #: session id -> status, for the series' sessions that take place
    sessions: dict[int, AttendanceStatus]
    #: sessions not attended live whose archive counts (the series' archive option)
    archive: set[int] = field(default_factory=set)

    @property
    def attended(self) -> int:
        live = sum(1 for status in self.sessions.values() if status.attended)
        return live + len(self.archive)


def series_people(series: Series) -> list[PersonInSeries]:
    """Everyone with a record in the series' sessions that take place, by ふりがな, in one query
    (a cancelled session counts for nobody, as in services.progress)."""
    rows = db.session.execute(
        select(Attendance.session_id, Attendance.status, User)
        .join(User, User.id == Attendance.user_id)
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.series_id == series.id, Session.status == SessionStatus.scheduled)
        .order_by(User.furigana, User.id)
    )
    people: dict[int, PersonInSeries] = {}
    for session_id, status, user in rows:
        found = people.setdefault(user.id, PersonInSeries(user, {}))
        found.sessions[session_id] = status
    if series.archive_counts_minutes is not None and people:
        credited = archive_credit.credited([series.id]).subquery()
        for user_id, session_id in db.session.execute(
            select(credited.c.user_id, credited.c.session_id)
        ):
            person = people.get(user_id)
            if person is not None:
                person.archive.add(session_id)
    return list(people.values())
