"""A series' dashboard for its organisers: each session's registered and attended figures by
mode, retention from the first session, how many sessions people came to, completions, new and
returning participants, where they live and how they relate to the region.

Every figure is a GROUP BY over attendance, so the page costs the same handful of queries
whether a series has five participants or five thousand (tests/attendance count them). Only
people who attended (at the venue, or online for the threshold) count as participants; a
session's registered figure is who held a place. Callers bring attendance up to date first
(`services.ensure_current`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.accounts.models import User, UserRelation
from app.attendance.dashboards import session_counts
from app.attendance.models import Attendance, AttendanceStatus
from app.core.prefectures import RELATIONS
from app.core.types import utcnow
from app.events.models import Series, Session, SessionStatus
from app.extensions import db
from app.registration.models import Place, PlaceStatus

ATTENDED = (AttendanceStatus.attended_venue, AttendanceStatus.attended_online)


@dataclass
class SessionFigures:
    session: Session
    #: as dashboards.session_counts: every status, "registered" (everyone who held a place,
    #: the excused too) and "venue"/"online" by the mode of their place; before the session
    #: starts, only the registered figures, from the places confirmed now
    counts: dict[str, int]
    #: of the first session's attendees, how many attended this one (None: not held yet)
    retained: int | None = None

    @property
    def attended(self) -> int:
        return sum(self.counts[s.value] for s in ATTENDED)


@dataclass
class SeriesDashboard:
    sessions: list[SessionFigures]
    #: people who attended the first session that took place
    cohort: int
    #: (k, people who attended at least k sessions), k = 1 .. the sessions that take place
    funnel: list[tuple[int, int]]
    #: the completion rule (None: the series has none) and the people meeting it
    required: int | None
    completions: int
    #: participants (attended at least one session) who attended an earlier series of the
    #: same organisation; earlier by first session
    returning: int
    prefectures: list[tuple[str, int]] = field(default_factory=list)
    relations: list[tuple[str, int]] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return self.funnel[0][1] if self.funnel else 0

    @property
    def new(self) -> int:
        return self.participants - self.returning


def _participants(session_ids: list[int]):
    """User ids of people who attended at least one of the sessions (a subquery)."""
    return (
        select(Attendance.user_id)
        .where(Attendance.session_id.in_(session_ids), Attendance.status.in_(ATTENDED))
        .distinct()
    )


def series_dashboard(series: Series, now: datetime | None = None) -> SeriesDashboard:
    """The dashboard in five aggregate queries, whatever the number of participants."""
    now = now or utcnow()
    all_ids = [s.id for s in series.sessions]
    held = [s for s in series.sessions if s.status is SessionStatus.scheduled]
    held_ids = [s.id for s in held]

    counts = session_counts(all_ids)
    for session_id, mode, n in db.session.execute(
        select(Place.session_id, Place.mode, func.count())
        .where(
            Place.session_id.in_([s.id for s in series.sessions if s.starts_at > now]),
            Place.status == PlaceStatus.confirmed,
        )
        .group_by(Place.session_id, Place.mode)
    ):
        counts[session_id][mode.value] += n
        counts[session_id]["registered"] += n
    figures = [SessionFigures(s, counts[s.id]) for s in series.sessions]

    cohort = 0
    if held:
        first, later = held[0], held_ids[1:]
        cohort = figures[series.sessions.index(first)].attended
        retained = dict(
            db.session.execute(
                select(Attendance.session_id, func.count())
                .where(
                    Attendance.session_id.in_(later),
                    Attendance.status.in_(ATTENDED),
                    Attendance.user_id.in_(_participants([first.id])),
                )
                .group_by(Attendance.session_id)
            ).all()
        )
        retained[first.id] = cohort
        for f in figures:
            if f.session.status is SessionStatus.scheduled and f.session.starts_at <= now:
                f.retained = retained.get(f.session.id, 0)

    required = series.completion_min_sessions
    histogram: dict[int, int] = {}
    returning, prefectures = 0, {}
    for n, prefecture, earlier, people in _per_person(series, held_ids):
        histogram[n] = histogram.get(n, 0) + people
        returning += people if earlier else 0
        prefectures[prefecture or ""] = prefectures.get(prefecture or "", 0) + people
    most = max([len(held), *histogram]) if held else 0
    funnel = [(k, sum(n for got, n in histogram.items() if got >= k)) for k in range(1, most + 1)]
    board = SeriesDashboard(
        sessions=figures,
        cohort=cohort,
        funnel=funnel,
        required=required,
        completions=sum(n for k, n in histogram.items() if k >= required) if required else 0,
        returning=returning,
        prefectures=sorted(prefectures.items(), key=lambda r: (-r[1], r[0])),
    )
    if board.participants:
        board.relations = _by_relation(_participants(held_ids))
    return board


def _per_person(series: Series, held_ids: list[int]) -> list[tuple[int, str, int, int]]:
    """(sessions attended, prefecture, 1 when they attended an earlier series of the same
    organisation (earlier by first session) else 0, people): one pass over the attendance."""
    if not held_ids:
        return []
    attended = (
        select(Attendance.user_id.label("user_id"), func.count().label("n"))
        .where(Attendance.session_id.in_(held_ids), Attendance.status.in_(ATTENDED))
        .group_by(Attendance.user_id)
        .subquery()
    )
    starts = min(s.starts_at for s in series.sessions)
    earlier = (
        select(Session.series_id)
        .join(Series, Series.id == Session.series_id)
        .where(Series.org_id == series.org_id, Series.id != series.id)
        .group_by(Session.series_id)
        .having(func.min(Session.starts_at) < starts)
    )
    earlier_people = (
        select(Attendance.user_id)
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.series_id.in_(earlier), Attendance.status.in_(ATTENDED))
    )
    person = (
        select(
            attended.c.n,
            User.prefecture,
            case((attended.c.user_id.in_(earlier_people), 1), else_=0).label("earlier"),
        )
        .join(User, User.id == attended.c.user_id)
        .subquery()
    )
    return db.session.execute(
        select(person.c.n, person.c.prefecture, person.c.earlier, func.count()).group_by(
            person.c.n, person.c.prefecture, person.c.earlier
        )
    ).all()


def _by_relation(people) -> list[tuple[str, int]]:
    """(relation code, people) in the order of RELATIONS; a person may have several."""
    found = dict(
        db.session.execute(
            select(UserRelation.relation, func.count())
            .where(UserRelation.user_id.in_(people))
            .group_by(UserRelation.relation)
        ).all()
    )
    return [(code, found[code]) for code in RELATIONS if code in found]
