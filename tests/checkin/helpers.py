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


def two_venue_series(org_id, *, online=10, seats=5):
    """A series happening now whose first session is held in 松江会場 and 東京会場 at once
    (サテライト会場), plus online: (series, session, matsue, tokyo)."""
    from app.events.models import SessionVenue

    series = series_happening_now(org_id, sessions=[("hybrid", seats, online)])
    session = series.sessions[0]
    matsue = session.venues[0]
    matsue.name = "松江会場"
    tokyo = SessionVenue(
        session_id=session.id, position=1, name="東京会場", address="東京都千代田区", capacity=seats
    )
    db.session.add(tokyo)
    db.session.commit()
    db.session.refresh(session)
    return series, session, matsue, tokyo


def place_at(registration, session, venue):
    """The registration's place in the session is a venue place at `venue` (a test's setup:
    choosing the venue is the booking form's business)."""
    from app.events.models import Mode
    from app.registration.models import Place

    place = db.session.scalar(
        db.select(Place).where(
            Place.registration_id == registration.id, Place.session_id == session.id
        )
    )
    place.mode, place.venue_id = Mode.venue, venue.id
    db.session.commit()
    return place
