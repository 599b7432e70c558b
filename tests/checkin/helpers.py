from datetime import timedelta

from app.core.types import utcnow
from app.extensions import db
from tests.registration.factories import make_series


def series_happening_now(org_id, *, sessions=(("hybrid", 5, 5),), **fields):
    """A series whose first session starts in 30 minutes (check-in open), the rest later."""
    series = make_series(org_id, sessions=sessions, **fields)
    first = series.sessions[0]
    first.starts_at = utcnow() + timedelta(minutes=30)
    first.ends_at = first.starts_at + timedelta(hours=2)
    db.session.commit()
    return series
