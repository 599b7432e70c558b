"""A finished hybrid series: the participant registered online, a venue person, and someone who
never registered; helpers to publish an archive and to send heartbeats at chosen times."""

from datetime import timedelta

import pytest

from app.accounts.models import User
from app.archive import services
from app.core.types import utcnow
from app.events.models import Series, Session
from app.extensions import db
from app.registration import services as registration
from tests.conftest import create_user
from tests.registration.factories import make_series

URL = "https://youtu.be/AbCdEfGhIjK"


def move(session, *, ended_ago: timedelta = timedelta(hours=1), hours: int = 2):
    session.ends_at = utcnow() - ended_ago
    session.starts_at = session.ends_at - timedelta(hours=hours)
    db.session.commit()


def publish(session_id: int, actor_id: int, **data):
    session = db.session.get(Session, session_id)
    actor = db.session.get(User, actor_id)
    archive = services.save(session, actor, {"url": URL, "published": True, **data})
    db.session.commit()
    return archive


@pytest.fixture
def finished(app, world):
    """ids: series, session (ended an hour ago), second (a second held session), online (the
    world's participant), venue, outsider."""
    with app.app_context():
        series = make_series(
            world["org"],
            sessions=(("hybrid", 5, 5), ("hybrid", 5, 5)),
            online_threshold_percent=50,
            completion_min_sessions=2,
        )
        online = db.session.get(User, world["participant"])
        venue = create_user("venue@example.jp", name="会場 太郎", furigana="かいじょう たろう")
        outsider = create_user("outsider@example.jp", name="未登録 花子", furigana="みとうろく")
        registration.register(series, online, mode="online", consent=True)
        registration.register(series, venue, mode="venue", consent=True)
        first, second = series.sessions
        move(first, ended_ago=timedelta(days=3))
        move(second, ended_ago=timedelta(hours=1))
        db.session.commit()
        return {
            "series": series.id,
            "session": second.id,
            "first": first.id,
            "online": online.id,
            "venue": venue.id,
            "outsider": outsider.id,
            "organizer": world["organizer"],
            "org": world["org"],
        }


def series_of(ids) -> Series:
    return db.session.get(Series, ids["series"])
