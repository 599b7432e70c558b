"""A series' dashboard for its organisers: each session's registered and attended figures by
mode, retention from the first session, how many sessions people came to, completions, new and
returning participants, where they live and how they relate to the region.

The final sessions' figures are read as kept when attendance became final (figures.py), the
others counted from their records, so the page costs the same handful of queries whether a
series has five participants or fifty thousand (tests/attendance count them), and reads a row
per person rather than one per person and session. Only people who attended (at the venue,
or online for the threshold) count as participants; a session's registered figure is who held
a place. Attendance is kept current by the writes and the periodic pass (jobs.py).
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select, union

from app.accounts.models import User, UserRelation
from app.archive.services import figures as archive_figures
from app.attendance import archive_credit, figures
from app.attendance.dashboards import session_counts
from app.attendance.figures import ATTENDED
from app.attendance.models import Attendance, PersonFigures
from app.attendance.models import SessionFigures as KeptFigures
from app.attendance.venue_figures import VenueFigure, venue_figures
from app.core.prefectures import RELATIONS
from app.core.types import utcnow
from app.events.models import Series, Session, SessionStatus
from app.extensions import db
from app.registration.models import Place, PlaceStatus


@dataclass
class SessionFigures:
    session: Session
    #: as dashboards.session_counts: every status, "registered" (everyone who held a place,
    #: the excused too) and "venue"/"online" by the mode of their place; before the session
    #: starts, only the registered figures, from the places confirmed now
    counts: dict[str, int]
    #: of the first session's attendees, how many attended this one (None: not held yet)
    retained: int | None = None
    #: アーカイブ視聴, apart from attendance: people who watched the archive, their minutes
    archive_people: int = 0
    archive_minutes: int = 0
    #: サテライト会場: per venue, then online, for a session held at several venues (else empty)
    venues: list[VenueFigure] = field(default_factory=list)

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


def series_dashboard(series: Series, now: datetime | None = None) -> SeriesDashboard:
    """The dashboard in a handful of queries whatever the number of participants: the final
    sessions' figures are read as kept (figures.py), the others counted from their records."""
    now = now or utcnow()
    all_ids = [s.id for s in series.sessions]
    held = [s for s in series.sessions if s.status is SessionStatus.scheduled]

    kept = figures.stored(all_ids)
    counts = session_counts(all_ids, kept)
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
    watched = archive_figures(all_ids)
    per_venue = venue_figures(series.sessions)
    board_sessions = [
        SessionFigures(s, counts[s.id], None, *watched.get(s.id, (0, 0)), per_venue.get(s.id, []))
        for s in series.sessions
    ]

    cohort = 0
    if held:
        first = held[0]
        cohort = board_sessions[series.sessions.index(first)].attended
        retained = _retained(first.id, [s.id for s in held[1:]], kept)
        retained[first.id] = cohort
        for f in board_sessions:
            if f.session.status is SessionStatus.scheduled and f.session.starts_at <= now:
                f.retained = retained.get(f.session.id, 0)

    required = series.completion_min_sessions
    histogram: dict[int, int] = {}
    returning, prefectures = 0, {}
    attended = figures.people_in(held) if held else None
    people = attended.per_person() if attended else None
    for n, prefecture, earlier, found in _per_person(series, people):
        histogram[n] = histogram.get(n, 0) + found
        returning += found if earlier else 0
        prefectures[prefecture or ""] = prefectures.get(prefecture or "", 0) + found
    most = max([len(held), *histogram]) if held else 0
    funnel = [(k, sum(n for got, n in histogram.items() if got >= k)) for k in range(1, most + 1)]
    board = SeriesDashboard(
        sessions=board_sessions,
        cohort=cohort,
        funnel=funnel,
        required=required,
        completions=_completions(series, attended, histogram),
        returning=returning,
        prefectures=sorted(prefectures.items(), key=lambda r: (-r[1], r[0])),
    )
    if board.participants:
        board.relations = _by_relation(select(people.c.user_id))
    return board


def _completions(series: Series, attended, histogram: dict[int, int]) -> int:
    """People meeting the completion rule: from the histogram of live sessions, or, when the
    series counts archive viewing (archive_credit), one query adding the sessions it counts
    for, read now on top of the kept figures (viewing goes on after a session is final)."""
    required = series.completion_min_sessions
    if not required:
        return 0
    if series.archive_counts_minutes is None:
        return sum(n for k, n in histogram.items() if k >= required)
    if attended is None:  # no session takes place: none attended, live or by archive
        return 0
    done = archive_credit.completed(attended.rows, [series.id])
    return db.session.execute(select(func.count()).select_from(done)).scalar_one()


def _retained(first_id: int, later: list[int], kept: dict) -> dict[int, int]:
    """session id -> how many of the first session's attendees attended it: as kept for the
    final sessions counted against this first session (when it is final itself), else from
    the records, in one query for all of those."""
    found, live = {}, []
    for session_id in later:
        figures_of = kept.get(session_id)
        if (
            first_id in kept
            and figures_of is not None
            and figures_of["cohort_session_id"] == first_id
            and figures_of["retained"] is not None
        ):
            found[session_id] = figures_of["retained"]
        else:
            live.append(session_id)
    if live:
        found.update(figures.count_retained(live, first_id))
    return found


def _earlier_people(series: Series):
    """User ids of people who attended a session (of any status) of an earlier series of the
    same organisation, earlier by first session: kept figures of final sessions, records of
    the others."""
    starts = min(s.starts_at for s in series.sessions)
    earlier = (
        select(Session.series_id)
        .join(Series, Series.id == Session.series_id)
        .where(Series.org_id == series.org_id, Series.id != series.id)
        .group_by(Session.series_id)
        .having(func.min(Session.starts_at) < starts)
    )
    kept = select(PersonFigures.user_id).where(
        PersonFigures.series_id.in_(earlier), PersonFigures.venue + PersonFigures.online > 0
    )
    not_final = (
        select(Session.id)
        .outerjoin(KeptFigures, KeptFigures.session_id == Session.id)
        .where(Session.series_id.in_(earlier), KeptFigures.session_id.is_(None))
    )
    live = select(Attendance.user_id).where(
        Attendance.session_id.in_(not_final), Attendance.status.in_(ATTENDED)
    )
    return union(kept, live)


def _per_person(series: Series, people) -> list[tuple[int, str, int, int]]:
    """(sessions attended, prefecture, 1 when they attended an earlier series of the same
    organisation (earlier by first session) else 0, people): one pass over `people` (a row
    per participant of the sessions held, figures.People.per_person)."""
    if people is None:
        return []
    person = (
        select(
            people.c.sessions.label("n"),
            User.prefecture,
            case((people.c.user_id.in_(_earlier_people(series)), 1), else_=0).label("earlier"),
        )
        .join(User, User.id == people.c.user_id)
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
