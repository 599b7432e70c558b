"""Routes of the live room, for the authorization matrix.

The room is for people registered online for the session (here "participant") and the
organisation's organisers and owner; venue staff work at the door and, like anyone else logged
in, get the explanatory page (403).
"""

from datetime import timedelta

from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.registration.factories import make_series
from tests.security.matrix import everyone

ROOM = {
    **everyone(403),
    "anonymous": 302,
    "participant": 200,
    "organizer": 200,
    "owner": 200,
}
VENUE_PLACE = {**ROOM, "participant": 403}

ROWS = [
    ("live.room", "GET", "/sessions/{live_online}/live", None, ROOM),
    ("live.room", "GET", "/sessions/{live_venue}/live", None, VENUE_PLACE),
]  # fmt: skip


def targets(app, world):
    """Two hybrid sessions whose rooms are open now; the participant is online for the first
    and at the venue for the second."""
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5), ("hybrid", 5, 5)])
        online, venue = series.sessions
        participant = db.session.get(User, world["participant"])
        reg.register(
            series,
            participant,
            modes={online.id: "online", venue.id: "venue"},
            consent=True,
        )
        for session in (online, venue):
            session.starts_at = utcnow() + timedelta(minutes=5)
            session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        return {"live_online": online.id, "live_venue": venue.id}
