"""The organisation's report for a 年度 (April to March, Japan time) for the programme that
funds it: the 関係人口 KPIs (participants, continuing participants, completions, how people
attended), participants by 都道府県, each series' figures, and a line per participant.

Aggregate queries over the people's figures kept when attendance became final (figures.py),
the sessions not final yet counted from their records, as in series_dashboard.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.attendance import archive_credit, figures
from app.attendance.figures import fiscal_year_bounds, fiscal_year_of
from app.attendance.venue_figures import venue_figures
from app.core.errors import ValidationFailed
from app.core.prefectures import PREFECTURES
from app.core.types import utcnow
from app.events.models import Series, Session, SessionStatus
from app.extensions import db

#: the 年度 a report may ask for: from this year to the one after the current
FIRST_YEAR = 2000


def parse_fiscal_year(value: str | None, now: datetime | None = None) -> int:
    """The 年度 a query string asks for; the current one when it asks for none."""
    current = fiscal_year_of(now or utcnow())
    if value is None or value == "":
        return current
    text = value.strip()
    last = current + 1
    if text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= last:
        return int(text)
    raise ValidationFailed(
        fields={
            "year": [
                _l(
                    "Choose a fiscal year between %(first)d and %(last)d, such as %(current)d.",
                    first=FIRST_YEAR,
                    last=last,
                    current=current,
                )
            ]
        }
    )


@dataclass
class Kpis:
    participants: int = 0  # attended at least one session in the year
    continuing_sessions: int = 0  # ... two or more sessions
    continuing_series: int = 0  # ... sessions of two or more series
    completions: int = 0  # people and series meeting the rule, series ending in the year
    venue_only: int = 0
    online_only: int = 0
    both: int = 0
    #: アーカイブ視聴, apart from attendance: people who watched an archive of a session of
    #: the year, and their minutes in all
    archive_viewers: int = 0
    archive_minutes: int = 0


@dataclass
class SeriesLine:
    series_id: int
    title: str
    sessions: int  # sessions in the year
    participants: int
    completions: int
    #: アーカイブ視聴 of the series' sessions of the year: people, minutes in all
    archive_viewers: int = 0
    archive_minutes: int = 0


@dataclass
class ParticipantLine:
    name: str
    furigana: str
    prefecture: str
    venue: int  # sessions attended at the venue
    online: int  # ... online
    series: int  # series they attended a session of
    completions: int

    @property
    def figures(self) -> tuple[int, int, int, int]:
        return self.venue, self.online, self.series, self.completions


@dataclass
class VenueLine:
    """One venue (or online) of a session of the year held at several venues (サテライト会場)."""

    series_title: str
    session_title: str
    starts_at: datetime
    venue: str
    places: int  # confirmed places there
    attended: int  # people who attended there


@dataclass
class OrgReport:
    year: int
    kpis: Kpis
    #: (code, participants, continuing over sessions) for each of the 47, then "" for
    #: people whose prefecture is unknown (only when there are some)
    prefectures: list[tuple[str, int, int]]
    series: list[SeriesLine]
    #: per venue, for the sessions held at several venues (e.g. 東京会場 and 松江会場)
    venues: list[VenueLine] = field(default_factory=list)


def year_sessions(org_id: int, year: int) -> list[Session]:
    """The organisation's sessions that take place in the 年度, with their series."""
    start, end = fiscal_year_bounds(year)
    return list(
        db.session.scalars(
            select(Session)
            .join(Series, Series.id == Session.series_id)
            .options(contains_eager(Session.series))
            .where(
                Series.org_id == org_id,
                Session.status == SessionStatus.scheduled,
                Session.starts_at >= start,
                Session.starts_at < end,
            )
            .order_by(Session.starts_at, Session.id)
        ).unique()
    )


def _completed(org_id: int, year: int, series_ids: list[int] | None = None):
    """(user id, series id) for each completion of a series whose last session is in the 年度,
    so a series that spans two years counts its completions once (a subquery; one query now
    for the sessions of those series, one in figures.people_in). `series_ids`: only those
    series (a programme's), else every series of the organisation."""
    start, end = fiscal_year_bounds(year)
    ending = (
        select(Session.series_id)
        .join(Series, Series.id == Session.series_id)
        .where(
            Series.org_id == org_id,
            Session.status == SessionStatus.scheduled,
            Series.completion_min_sessions.is_not(None),
        )
        .group_by(Session.series_id)
        .having(func.max(Session.starts_at) >= start, func.max(Session.starts_at) < end)
    )
    if series_ids is not None:
        ending = ending.where(Session.series_id.in_(series_ids))
    held = list(
        db.session.scalars(
            select(Session).where(
                Session.series_id.in_(ending), Session.status == SessionStatus.scheduled
            )
        )
    )
    return archive_credit.completed(figures.people_in(held).rows, ending)


def _people_where(condition):
    """How many rows meet the condition (0 when there are none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def org_report(
    org_id: int, year: int, sessions: list[Session], series_ids: list[int] | None = None
) -> OrgReport:
    """The 関係人口 KPIs of a 年度 from `year_sessions`, in a handful of aggregate queries over
    the people's kept figures (figures.py), not over every record: the KPIs and prefectures,
    completions, and per series. With `series_ids` (a programme's series; `sessions` then
    only theirs), completions count those series only. Figures only: no names."""
    people = figures.people_in(sessions)
    person = people.per_person()
    completed = _completed(org_id, year, series_ids)
    kpis, found = Kpis(), {}
    fields = ("participants", "continuing_sessions", "continuing_series", "venue_only",
              "online_only", "both")  # fmt: skip
    for code, *numbers in db.session.execute(
        select(
            User.prefecture,
            func.count(),
            _people_where(person.c.sessions >= 2),
            _people_where(person.c.series >= 2),
            _people_where(and_(person.c.venue > 0, person.c.online == 0)),
            _people_where(and_(person.c.venue == 0, person.c.online > 0)),
            _people_where(and_(person.c.venue > 0, person.c.online > 0)),
        )
        .join(person, person.c.user_id == User.id)
        .group_by(User.prefecture)
    ):
        for name, n in zip(fields, numbers, strict=True):
            setattr(kpis, name, getattr(kpis, name) + n)
        n, continuing = found.get(code or "", (0, 0))
        found[code or ""] = (n + numbers[0], continuing + numbers[1])
    completions = dict(
        db.session.execute(
            select(completed.c.series_id, func.count()).group_by(completed.c.series_id)
        ).all()
    )
    kpis.completions = sum(completions.values())
    prefectures = [(code, *found.pop(code, (0, 0))) for code, _, _ in PREFECTURES]
    if found:  # an unknown code: count it rather than lose it
        prefectures.append(
            ("", sum(n for n, _ in found.values()), sum(c for _, c in found.values()))
        )

    per_series = dict(
        db.session.execute(
            select(people.rows.c.series_id, func.count()).group_by(people.rows.c.series_id)
        ).all()
    )
    watched, kpis.archive_viewers, kpis.archive_minutes = _archive_viewing(sessions)
    lines: dict[int, SeriesLine] = {}
    for s in sessions:
        line = lines.get(s.series_id)
        if line is None:
            line = lines[s.series_id] = SeriesLine(
                s.series_id,
                s.series.title,
                0,
                per_series.get(s.series_id, 0),
                completions.get(s.series_id, 0),
                *watched.get(s.series_id, (0, 0)),
            )
        line.sessions += 1
    per_venue = venue_figures(sessions)  # two queries for every session of the year
    venues = [
        VenueLine(s.series.title, s.title, s.starts_at, v.name, v.places, v.attended)
        for s in sessions
        for v in per_venue.get(s.id, [])
    ]
    return OrgReport(year, kpis, prefectures, list(lines.values()), venues)


def _archive_viewing(sessions: list[Session]) -> tuple[dict[int, tuple[int, int]], int, int]:
    """({series id: (people who watched, minutes)}, people, minutes) of the archives of the
    sessions, apart from attendance: two aggregate queries (a person counts once a series,
    and once in the year)."""
    ids = [s.id for s in sessions]
    if not ids:
        return {}, 0, 0
    watched = and_(ArchiveViewing.session_id.in_(ids), ArchiveViewing.seconds > 0)
    per_series = {
        series_id: (people, int(seconds) // 60)
        for series_id, people, seconds in db.session.execute(
            select(
                Session.series_id,
                func.count(func.distinct(ArchiveViewing.user_id)),
                func.coalesce(func.sum(ArchiveViewing.seconds), 0),
            )
            .join(Session, Session.id == ArchiveViewing.session_id)
            .where(watched)
            .group_by(Session.series_id)
        )
    }
    people = db.session.scalar(
        select(func.count(func.distinct(ArchiveViewing.user_id))).where(watched)
    )
    minutes = sum(m for _, m in per_series.values())
    return per_series, people or 0, minutes


#: rows fetched at a time when a participant list is streamed (a server-side cursor on
#: PostgreSQL), so that memory stays flat however many people took part
BATCH = 2000


def _participants_query(org_id: int, year: int, sessions: list[Session]):
    person = figures.people_in(sessions).per_person()
    completed = _completed(org_id, year)
    per_user = (
        select(completed.c.user_id, func.count().label("n"))
        .group_by(completed.c.user_id)
        .subquery()
    )
    return (
        select(
            User.name,
            User.furigana,
            User.prefecture,
            person.c.venue,
            person.c.online,
            person.c.series,
            func.coalesce(per_user.c.n, 0),
        )
        .join(person, person.c.user_id == User.id)
        .outerjoin(per_user, per_user.c.user_id == User.id)
        .order_by(User.furigana, User.id)
    )


def participant_count(sessions: list[Session]) -> int:
    """How many people attended a session of the 年度 (the rows of `participant_lines`), from
    the people's kept figures (two small queries, before a download's first byte)."""
    if not sessions:
        return 0
    person = figures.people_in(sessions).per_person()
    return db.session.execute(select(func.count()).select_from(person)).scalar_one()


def iter_participant_lines(
    org_id: int, year: int, sessions: list[Session]
) -> Iterator[ParticipantLine]:
    """Each participant of the 年度 with their figures, by ふりがな, read `BATCH` rows at a
    time (for the streamed CSV and the Excel file). The query is made at the call, so that
    the sessions need not stay loaded while the lines are read."""
    query = _participants_query(org_id, year, sessions).execution_options(yield_per=BATCH)
    return (ParticipantLine(*row) for row in _rows(query))


def _rows(query):
    yield from db.session.execute(query)


def participant_lines(org_id: int, year: int, sessions: list[Session]) -> list[ParticipantLine]:
    """Each participant of the 年度 with their figures, by ふりがな, all at once."""
    return list(iter_participant_lines(org_id, year, sessions))


def years_with_sessions(org_id: int, now: datetime | None = None) -> list[int]:
    """The 年度 to offer: from the organisation's first session to its last (or this year)."""
    first, last = db.session.execute(
        select(func.min(Session.starts_at), func.max(Session.starts_at))
        .join(Series, Series.id == Session.series_id)
        .where(Series.org_id == org_id)
    ).one()
    current = fiscal_year_of(now or utcnow())
    low = fiscal_year_of(first) if first else current
    high = fiscal_year_of(last) if last else current
    return list(range(max(high, current), min(low, current) - 1, -1))
