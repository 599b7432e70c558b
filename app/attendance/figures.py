"""Figures kept with final attendance, so that dashboards and reports at the size of a
prefecture-wide programme need not count every record of a year on every page.

When a session's attendance becomes final (or a final session is rebuilt) `refresh` counts it
once: its records by place mode and status, how many of the series' first session's attendees
came (`SessionFigures`), and each person's attended sessions per series and 年度
(`PersonFigures`). A correction of a final record changes these numbers in the same unit of
work (`corrected`), with increments the database makes, so two organisers correcting at once
lose nothing. Readers take the stored figures for final sessions and count the others (few at
a time: those under way) from their records; `people_in` also takes out a final session that
was cancelled or moved to another 年度 since it was counted, so the numbers are always those
the records give.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, delete, func, insert, literal, select, union_all, update

from app.attendance.models import (
    COUNT_COLUMNS,
    Attendance,
    AttendanceStatus,
    PersonFigures,
    SessionFigures,
)
from app.core.timefmt import TOKYO, to_local
from app.events.models import Series, Session, SessionStatus
from app.extensions import db

ATTENDED = (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)


def fiscal_year_of(moment: datetime) -> int:
    """The 年度 (April to March, in Japan's time) a moment belongs to."""
    local = to_local(moment)
    return local.year if local.month >= 4 else local.year - 1


def fiscal_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 April of `year`, 1 April of the next year), midnight in Tokyo, as UTC."""
    start = datetime(year, 4, 1, tzinfo=TOKYO).astimezone(UTC)
    end = datetime(year + 1, 4, 1, tzinfo=TOKYO).astimezone(UTC)
    return start, end


def cohort_session(series: Series) -> Session | None:
    """The series' first session that takes place: retention counts its attendees."""
    return next((s for s in series.sessions if s.status is SessionStatus.scheduled), None)


# --- reading ---------------------------------------------------------------------------------


def stored(session_ids) -> dict[int, dict]:
    """session id -> its kept figures (the columns of SessionFigures), for the final ones of
    the sessions: one query. A session missing is counted from its records."""
    session_ids = list(session_ids)
    if not session_ids:
        return {}
    columns = [getattr(SessionFigures, c) for c in COUNT_COLUMNS.values()]
    rows = db.session.execute(
        select(
            SessionFigures.session_id,
            SessionFigures.retained,
            SessionFigures.cohort_session_id,
            *columns,
        ).where(SessionFigures.session_id.in_(session_ids))
    )
    return {row.session_id: row._asdict() for row in rows}


def grouped_rows(figures: dict) -> list[tuple]:
    """(place mode, status, people) of one session's kept figures, as a GROUP BY of its
    records would give them (the empty ones left out)."""
    return [(m, s, figures[c]) for (m, s), c in COUNT_COLUMNS.items() if figures[c]]


def _attended_sum(status: AttendanceStatus, sign: int = 1):
    return func.coalesce(func.sum(case((Attendance.status == status, sign), else_=0)), 0)


def _live(session_ids, sign: int):
    """(series id, user id, venue, online) of the sessions' records, times `sign`."""
    return (
        select(
            Session.series_id,
            Attendance.user_id,
            _attended_sum(AttendanceStatus.attended_venue, sign),
            _attended_sum(AttendanceStatus.attended_online, sign),
        )
        .join(Session, Session.id == Attendance.session_id)
        .where(Attendance.session_id.in_(session_ids), Attendance.status.in_(ATTENDED))
        .group_by(Session.series_id, Attendance.user_id)
    )


@dataclass(frozen=True)
class People:
    """Each person's sessions attended among some sessions (see `people_in`)."""

    #: a subquery (series_id, user_id, venue, online), a row per person and series, for the
    #: people who attended at least one of the sessions
    rows: object
    #: whether `rows` holds one row per person already (the sessions of one series in one
    #: 年度, every one of them final): no GROUP BY needed to count by person
    one_per_person: bool

    def per_person(self):
        """A subquery (user_id, sessions, series, venue, online): a row per participant."""
        rows = self.rows
        if self.one_per_person:
            return select(
                rows.c.user_id,
                (rows.c.venue + rows.c.online).label("sessions"),
                literal(1).label("series"),
                rows.c.venue,
                rows.c.online,
            ).subquery()
        return (
            select(
                rows.c.user_id,
                func.sum(rows.c.venue + rows.c.online).label("sessions"),
                func.count().label("series"),
                func.sum(rows.c.venue).label("venue"),
                func.sum(rows.c.online).label("online"),
            )
            .group_by(rows.c.user_id)
            .subquery()
        )


def people_in(sessions: list[Session]) -> People:
    """Each person's sessions attended among `sessions`, per series, for the people who
    attended at least one. The final sessions come from PersonFigures, the others from their
    records; a final session counted in the same series and 年度 but not among `sessions`
    (cancelled or moved since) is taken out. Costs one small query now (which final sessions
    the figures hold)."""
    series_ids = sorted({s.series_id for s in sessions})
    years = sorted({fiscal_year_of(s.starts_at) for s in sessions})
    covered = set()
    if sessions:
        covered = set(
            db.session.scalars(
                select(SessionFigures.session_id).where(
                    SessionFigures.series_id.in_(series_ids), SessionFigures.year.in_(years)
                )
            )
        )
    wanted = {s.id for s in sessions}
    keep = select(
        PersonFigures.series_id, PersonFigures.user_id, PersonFigures.venue, PersonFigures.online
    ).where(PersonFigures.series_id.in_(series_ids), PersonFigures.year.in_(years))
    parts = [keep]
    if wanted - covered:
        parts.append(_live(sorted(wanted - covered), 1))
    if covered - wanted:
        parts.append(_live(sorted(covered - wanted), -1))
    if len(parts) == 1 and len(years) == 1:  # a row per person and series already
        rows = keep.where(PersonFigures.venue + PersonFigures.online > 0).subquery()
        return People(rows, one_per_person=len(series_ids) == 1)
    every = union_all(*parts).subquery()
    venue, online = func.sum(every.c.venue), func.sum(every.c.online)
    rows = (
        select(
            every.c.series_id.label("series_id"),
            every.c.user_id.label("user_id"),
            venue.label("venue"),
            online.label("online"),
        )
        .group_by(every.c.series_id, every.c.user_id)
        .having(venue + online > 0)
        .subquery()
    )
    return People(rows, one_per_person=False)


# --- writing ---------------------------------------------------------------------------------


def count_retained(session_ids: list[int], cohort_id: int) -> dict[int, int]:
    """session id -> its attendees who also attended the cohort session (one query)."""
    cohort = select(Attendance.user_id).where(
        Attendance.session_id == cohort_id, Attendance.status.in_(ATTENDED)
    )
    return dict(
        db.session.execute(
            select(Attendance.session_id, func.count())
            .where(
                Attendance.session_id.in_(session_ids),
                Attendance.status.in_(ATTENDED),
                Attendance.user_id.in_(cohort),
            )
            .group_by(Attendance.session_id)
        ).all()
    )


def refresh(session: Session) -> None:
    """Count a final session's figures again from its records (when it becomes final, and
    when it is rebuilt): its counts, its retention (and, for the series' first session, every
    final session's), and its people's figures in its series and 年度 (and the 年度 it was
    counted in before, if its start moved). Flushes; the caller commits."""
    db.session.flush()
    figures = db.session.get(SessionFigures, session.id)
    if figures is None:
        figures = SessionFigures(session_id=session.id)
        db.session.add(figures)
    years = {fiscal_year_of(session.starts_at)}
    if figures.year is not None:
        years.add(figures.year)
    figures.series_id = session.series_id
    figures.year = fiscal_year_of(session.starts_at)
    counts = dict.fromkeys(COUNT_COLUMNS.values(), 0)
    for mode, status, n in db.session.execute(
        select(Attendance.mode, Attendance.status, func.count())
        .where(Attendance.session_id == session.id)
        .group_by(Attendance.mode, Attendance.status)
    ):
        counts[COUNT_COLUMNS[(mode, status)]] = n
    for column, n in counts.items():
        setattr(figures, column, n)
    db.session.flush()

    cohort = cohort_session(session.series)
    final_ids = list(
        db.session.scalars(
            select(SessionFigures.session_id).where(SessionFigures.series_id == session.series_id)
        )
    )
    if cohort is None or cohort.id not in final_ids:
        figures.retained = figures.cohort_session_id = None  # counted from the records
    else:
        again = final_ids if cohort.id == session.id else [session.id]
        retained = count_retained(again, cohort.id)
        for row in db.session.scalars(
            select(SessionFigures).where(SessionFigures.session_id.in_(again))
        ):
            row.retained, row.cohort_session_id = retained.get(row.session_id, 0), cohort.id

    db.session.execute(
        delete(PersonFigures).where(
            PersonFigures.series_id == session.series_id, PersonFigures.year.in_(years)
        )
    )
    db.session.execute(
        insert(PersonFigures).from_select(
            ["series_id", "year", "user_id", "venue", "online"],
            select(
                SessionFigures.series_id,
                SessionFigures.year,
                Attendance.user_id,
                _attended_sum(AttendanceStatus.attended_venue),
                _attended_sum(AttendanceStatus.attended_online),
            )
            .join(SessionFigures, SessionFigures.session_id == Attendance.session_id)
            .where(SessionFigures.series_id == session.series_id, SessionFigures.year.in_(years))
            .group_by(SessionFigures.series_id, SessionFigures.year, Attendance.user_id),
        )
    )
    db.session.flush()


def corrected(record: Attendance, before: AttendanceStatus) -> None:
    """A final session's record changed status (an organiser's correction): move the
    person from one count to the other, in their series' figures and in retention. The
    database adds and subtracts, so corrections made at once all count. Flushes."""
    after = record.status
    if after is before:
        return
    db.session.flush()
    figures = db.session.get(SessionFigures, record.session_id)
    if figures is None:
        return  # not final: counted from the records
    old, new = COUNT_COLUMNS[(record.mode, before)], COUNT_COLUMNS[(record.mode, after)]
    col = SessionFigures.__table__.c
    db.session.execute(
        update(SessionFigures)
        .where(SessionFigures.session_id == record.session_id)
        .values({old: col[old] - 1, new: col[new] + 1})
        .execution_options(synchronize_session=False)
    )
    venue = int(after is AttendanceStatus.attended_venue) - int(
        before is AttendanceStatus.attended_venue
    )
    online = int(after is AttendanceStatus.attended_online) - int(
        before is AttendanceStatus.attended_online
    )
    if venue or online:
        db.session.execute(
            update(PersonFigures)
            .where(
                PersonFigures.series_id == figures.series_id,
                PersonFigures.year == figures.year,
                PersonFigures.user_id == record.user_id,
            )
            .values(venue=PersonFigures.venue + venue, online=PersonFigures.online + online)
            .execution_options(synchronize_session=False)
        )
    change = int(after.attended) - int(before.attended)
    if not change:
        return
    theirs = select(Attendance.session_id).where(
        Attendance.user_id == record.user_id, Attendance.status.in_(ATTENDED)
    )
    # this session counted against a cohort they attended; or this is the cohort, and every
    # session they attended (and this one) counted against it
    came_to_cohort = figures.cohort_session_id is not None and db.session.scalar(
        select(literal(1)).where(
            Attendance.session_id == figures.cohort_session_id,
            Attendance.user_id == record.user_id,
            Attendance.status.in_(ATTENDED),
        )
    )
    if came_to_cohort and figures.cohort_session_id != record.session_id:
        _add_retained(SessionFigures.session_id == record.session_id, change)
    _add_retained(
        (SessionFigures.cohort_session_id == record.session_id)
        & (
            SessionFigures.session_id.in_(theirs) | (SessionFigures.session_id == record.session_id)
        ),
        change,
    )
    db.session.expire(figures)


def _add_retained(where, change: int) -> None:
    db.session.execute(
        update(SessionFigures)
        .where(where, SessionFigures.retained.is_not(None))
        .values(retained=SessionFigures.retained + change)
        .execution_options(synchronize_session=False)
    )
