"""Reading series and sessions for pages, the API and other areas, and the room's opening rule."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.core.errors import NotFound
from app.core.types import utcnow
from app.events.models import Mode, Series, SeriesStatus, Session
from app.extensions import db


def room_window(session: Session) -> tuple[datetime, datetime]:
    """When the live room of an online or hybrid session is open: from the series'
    room_opens_minutes before the start to room_closes_minutes after the end. The room, the
    buttons that lead to it and the mails all read this one rule."""
    series = session.series
    return (
        session.starts_at - timedelta(minutes=series.room_opens_minutes),
        session.ends_at + timedelta(minutes=series.room_closes_minutes),
    )


def get_series(
    series_id: int, *, org_id: int | None = None, public: bool = False, options=()
) -> Series:
    series = db.session.get(Series, series_id, options=options)
    if series is None or (org_id is not None and series.org_id != org_id):
        raise NotFound()
    if public and series.status is SeriesStatus.draft:
        raise NotFound()
    return series


#: get_series(options=…) for registering: what the rules, the email and the answer read
FOR_REGISTERING = (
    joinedload(Series.org),
    joinedload(Series.sessions),
    joinedload(Series.questions),  # a few of each: one query
)


def get_session(session_id: int, *, org_id: int | None = None) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or (org_id is not None and session.series.org_id != org_id):
        raise NotFound()
    return session


def public_series(*, prefecture=None, fmt=None, online=None, now=None) -> list[Series]:
    """Published series with an upcoming session, soonest first, then past ones.

    fmt: a SessionFormat any session has; online: only series with an online place."""
    now = now or utcnow()
    query = (
        select(Series)
        .where(Series.status == SeriesStatus.published)
        .options(selectinload(Series.sessions), selectinload(Series.org))
    )
    if prefecture:
        query = query.where(Series.prefecture == prefecture)
    series = db.session.scalars(query).all()

    def keep(s: Series) -> bool:
        sessions = [x for x in s.sessions if not x.is_cancelled]
        if fmt and not any(x.format is fmt for x in sessions):
            return False
        return not (online and not any(Mode.online in x.modes for x in sessions))

    def sort_key(s: Series):
        upcoming = [x.starts_at for x in s.sessions if x.ends_at > now and not x.is_cancelled]
        if upcoming:
            return (0, min(upcoming).timestamp())
        last = max((x.starts_at for x in s.sessions), default=s.created_at)
        return (1, -last.timestamp())

    return sorted(filter(keep, series), key=sort_key)


def org_series(org_id: int) -> list[Series]:
    return db.session.scalars(
        select(Series)
        .where(Series.org_id == org_id)
        .order_by(Series.created_at.desc())
        .options(selectinload(Series.sessions))
    ).all()
