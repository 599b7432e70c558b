"""The completion rule's archive option (off by default): a session not attended live counts
as attended when the person watched its archive for at least the series'
`archive_counts_minutes` (app/archive measures the viewing, apart from attendance).

`credited` is the rule's one spelling; the person's progress (and so the certificate), the
per-person dashboard rows, the series dashboard's completions and the 年度 report's all read
it. It is read at the time of asking, on top of the live figures (kept ones for final
sessions): viewing goes on after a session is final, so it is never kept with them.
"""

from sqlalchemy import func, select, union_all

from app.archive.models import ArchiveViewing
from app.attendance.models import Attendance, AttendanceStatus
from app.events.models import Series, Session, SessionStatus
from app.extensions import db


def credited(series_ids, user_id: int | None = None):
    """A select of (series_id, user_id, session_id): each session of the series that takes
    place, not attended live, whose archive the person watched for at least the series'
    archive_counts_minutes (nothing for a series without the option). `series_ids`: a list
    or a subquery of ids."""
    attended_live = (
        select(Attendance.id)
        .where(
            Attendance.session_id == ArchiveViewing.session_id,
            Attendance.user_id == ArchiveViewing.user_id,
            Attendance.status.in_(
                [AttendanceStatus.attended_venue, AttendanceStatus.attended_online]
            ),
        )
        .exists()
    )
    query = (
        select(
            Session.series_id.label("series_id"),
            ArchiveViewing.user_id.label("user_id"),
            ArchiveViewing.session_id.label("session_id"),
        )
        .join(Session, Session.id == ArchiveViewing.session_id)
        .join(Series, Series.id == Session.series_id)
        .where(
            Session.series_id.in_(series_ids),
            Session.status == SessionStatus.scheduled,
            Series.archive_counts_minutes.is_not(None),
            ArchiveViewing.seconds >= Series.archive_counts_minutes * 60,
            ~attended_live,
        )
    )
    if user_id is not None:
        query = query.where(ArchiveViewing.user_id == user_id)
    return query


def attended_by_archive(user_id: int, series_ids: list[int]) -> dict[int, int]:
    """series id -> sessions the person did not attend live but whose archive counts."""
    found = credited(series_ids, user_id).subquery()
    return dict(
        db.session.execute(
            select(found.c.series_id, func.count()).group_by(found.c.series_id)
        ).all()
    )


def completed(live_rows, series_ids):
    """A subquery (series_id, user_id) of the people meeting their series' completion rule,
    counting the sessions attended live (`live_rows`: a subquery with series_id, user_id,
    venue, online, as figures.People.rows) and those their archive viewing counts for."""
    found = credited(series_ids).subquery()
    sessions = union_all(
        select(
            live_rows.c.series_id,
            live_rows.c.user_id,
            (live_rows.c.venue + live_rows.c.online).label("n"),
        ),
        select(found.c.series_id, found.c.user_id, func.count().label("n")).group_by(
            found.c.series_id, found.c.user_id
        ),
    ).subquery()
    return (
        select(sessions.c.series_id.label("series_id"), sessions.c.user_id.label("user_id"))
        .join(Series, Series.id == sessions.c.series_id)
        .where(Series.completion_min_sessions.is_not(None))
        .group_by(sessions.c.series_id, sessions.c.user_id, Series.completion_min_sessions)
        .having(func.sum(sessions.c.n) >= Series.completion_min_sessions)
        .subquery()
    )
