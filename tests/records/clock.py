"""The 年度 the record tests look at, whatever the day they run. Their sessions are made up to
10 days in the past; in the first days of April some would fall in the year before. Then every
past session is moved back by SHIFT, into the year before, and that year is the one tested."""

from datetime import timedelta

from sqlalchemy import select

from app.attendance.figures import fiscal_year_of
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db

#: longer than the oldest session the fixtures make (10 days ago)
SHIFT = timedelta(days=11)
YEAR = fiscal_year_of(utcnow() - SHIFT)


def into_one_year() -> None:
    """Call once a test's sessions exist (inside an app context)."""
    now = utcnow()
    if fiscal_year_of(now) == YEAR:
        return
    move_sessions(-SHIFT, before=now)


def move_sessions(by: timedelta, before=None) -> None:
    """Every session (or every one starting before `before`) moved by `by`, committed."""
    query = select(Session)
    if before is not None:
        query = query.where(Session.starts_at < before)
    for session in db.session.scalars(query):
        session.starts_at, session.ends_at = session.starts_at + by, session.ends_at + by
    db.session.commit()
