"""The completion rule's archive option (off by default): a session not attended live counts
as attended when the person watched its archive for at least the series'
`archive_counts_minutes` (app/archive measures the viewing, apart from attendance)."""

from sqlalchemy import func, select

from app.archive.models import ArchiveViewing
from app.attendance.models import Attendance, AttendanceStatus
from app.events.models import Series, Session, SessionStatus
from app.extensions import db


def attended_by_archive(user_id: int, series_ids: list[int]) -> dict[int, int]:
    """series id -> sessions the person did not attend live but whose archive they watched
    for at least the series' archive_counts_minutes (the option of the completion rule)."""
    attended_live = (
        select(Attendance.id)
        .where(
            Attendance.session_id == Session.id,
            Attendance.user_id == user_id,
            Attendance.status.in_(
                [AttendanceStatus.attended_venue, AttendanceStatus.attended_online]
            ),
        )
        .exists()
    )
    return dict(
        db.session.execute(
            select(Session.series_id, func.count(ArchiveViewing.session_id))
            .join(ArchiveViewing, ArchiveViewing.session_id == Session.id)
            .join(Series, Series.id == Session.series_id)
            .where(
                ArchiveViewing.user_id == user_id,
                Session.series_id.in_(series_ids),
                Session.status == SessionStatus.scheduled,
                Series.archive_counts_minutes.is_not(None),
                ArchiveViewing.seconds >= Series.archive_counts_minutes * 60,
                ~attended_live,
            )
            .group_by(Session.series_id)
        ).all()
    )
