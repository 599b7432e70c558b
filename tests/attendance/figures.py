"""Hand-built attendance for the dashboard and report tests: series whose sessions took place
at given times, and people's outcomes written straight into place and attendance rows, the
sessions marked final so that nothing recomputes them, and their kept figures counted as the
finaliser would."""

from datetime import datetime, timedelta

from sqlalchemy import event, select

from app.attendance import figures
from app.attendance.models import Attendance, AttendanceStatus, SessionAttendance
from app.core.types import utcnow
from app.events.models import Mode, Series
from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from tests.registration.factories import make_series

OUTCOMES = {
    "venue": (Mode.venue, AttendanceStatus.attended_venue),
    "online": (Mode.online, AttendanceStatus.attended_online),
    "partial": (Mode.online, AttendanceStatus.partial),
    "absent": (Mode.venue, AttendanceStatus.absent),
    "absent_online": (Mode.online, AttendanceStatus.absent),
    "excused": (Mode.venue, AttendanceStatus.excused),
}


def series_at(org_id: int, starts: list[datetime], **fields) -> Series:
    """A hybrid series with a session starting at each of `starts` (two hours long); the
    sessions that have started are final."""
    series = make_series(org_id, sessions=(("hybrid", 100, 100),) * len(starts), **fields)
    for session, start in zip(series.sessions, starts, strict=True):
        session.starts_at = start
        session.ends_at = start + timedelta(hours=2)
    now = utcnow()
    db.session.add_all(
        SessionAttendance(session_id=s.id, computed_at=now, final_at=now)
        for s in series.sessions
        if s.starts_at <= now
    )
    db.session.flush()
    count_final(series.sessions)
    db.session.commit()
    return db.session.get(Series, series.id)


def attend(series: Series, user, outcomes) -> None:
    """outcomes: one per session in order; "venue", "online", "partial", "absent",
    "absent_online", "excused", "place" (a confirmed place, not held yet) or None."""
    registration = Registration(
        series_id=series.id, user_id=user.id, status=RegistrationStatus.confirmed
    )
    db.session.add(registration)
    db.session.flush()
    sessions = sorted(series.sessions, key=lambda s: s.starts_at)
    for session, outcome in zip(sessions, outcomes, strict=True):
        if outcome is None:
            continue
        if outcome == "place":
            mode, status = Mode.venue, None
        else:
            mode, status = OUTCOMES[outcome]
        cancelled = status is AttendanceStatus.excused
        db.session.add(
            Place(
                registration_id=registration.id,
                session_id=session.id,
                mode=mode,
                status=PlaceStatus.cancelled if cancelled else PlaceStatus.confirmed,
                confirmed_at=session.starts_at - timedelta(days=7),
                cancelled_at=session.starts_at - timedelta(days=1) if cancelled else None,
            )
        )
        if status is not None:
            db.session.add(
                Attendance(
                    session_id=session.id,
                    user_id=user.id,
                    registration_id=registration.id,
                    mode=mode,
                    status=status,
                    computed_status=status,
                )
            )
    db.session.flush()
    count_final(sessions)
    db.session.commit()


def count_final(sessions) -> None:
    """Count the figures of the final sessions among these again, as the finaliser does when
    attendance becomes final (rows written straight into a final session bypass it)."""
    final = set(
        db.session.scalars(
            select(SessionAttendance.session_id).where(
                SessionAttendance.session_id.in_([s.id for s in sessions]),
                SessionAttendance.final_at.is_not(None),
            )
        )
    )
    for session in sessions:
        if session.id in final:
            figures.refresh(session)


class QueryCounter:
    """Counts the statements sent to the database while it is open."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)
