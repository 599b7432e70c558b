"""0020_session_venues: every existing venue or hybrid session becomes one venue with what the
session said of its venue, and its venue places that venue's, on SQLite and PostgreSQL."""

from sqlalchemy import select, text

from app.events.models import Mode, Session, SessionVenue
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Place, PlaceStatus
from tests.conftest import create_user
from tests.registration.factories import make_series


def test_existing_sessions_become_one_venue_each_and_their_places_keep_it(app, world):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        series = make_series(
            world["org"], sessions=[("hybrid", 2, 5), ("online", None, 10), ("venue", 1, None)]
        )
        hybrid, online, venue = (s.id for s in series.sessions)
        people = [create_user(f"m{i}@example.jp") for i in range(4)]
        for person, mode in zip(people, ("venue", "venue", "venue", "online"), strict=True):
            reg.register(series, person, mode=mode, consent=True)
        db.session.commit()
        db.session.remove()
        try:
            downgrade(revision="0019_activity_record")
            # the session as 0019 knew it: its venue in its own columns
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE session SET venue_name = '東京会場', venue_address = '千代田区',"
                        " map_url = 'https://example.jp/map', venue_capacity = 2 WHERE id = :id"
                    ),
                    {"id": hybrid},
                )
                assert "venue_id" not in {
                    r[1] for r in conn.execute(text("SELECT * FROM place")).cursor.description
                }
        finally:
            upgrade()
        db.session.remove()

        venues = db.session.scalars(select(SessionVenue).order_by(SessionVenue.id)).all()
        assert [(v.session_id, v.name, v.address, v.map_url, v.capacity) for v in venues] == [
            (hybrid, "東京会場", "千代田区", "https://example.jp/map", 2),
            (venue, "松江市市民活動センター", "島根県松江市白潟本町43", "", 1),
        ]
        assert db.session.get(Session, online).venues == []
        places = db.session.scalars(select(Place).order_by(Place.id)).all()
        by_venue = {v.session_id: v.id for v in venues}
        for place in places:
            expected = by_venue[place.session_id] if place.mode is Mode.venue else None
            assert place.venue_id == expected, place
        # nothing changed for the people: the same places, confirmed and waiting as before
        hybrid_venue = [p.status for p in places if p.session_id == hybrid and p.mode == "venue"]
        assert hybrid_venue == [PlaceStatus.confirmed] * 2 + [PlaceStatus.waitlisted]
        assert db.session.get(Session, hybrid).capacity(Mode.venue) == 2
