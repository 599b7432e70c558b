"""0021_venue_checkin: check-ins made before sessions had several venues were made at their
session's only venue; none of them was an override. On SQLite and PostgreSQL."""

from sqlalchemy import select, text

from app.checkin import services as checkin
from app.checkin.models import CheckIn
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user


def test_existing_check_ins_are_at_their_sessions_venue(app, world):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("hybrid", 5, 5), ("venue", 5, None)])
        session = series.sessions[0]
        r = reg.register(series, create_user("c@example.jp"), mode="venue", consent=True)
        r = db.session.get(Registration, r.id)
        verdict = checkin.decide(session, None, secret=checkin.valid_ticket(r).secret)
        db.session.commit()
        checkin_id, venue_id = verdict.checkin.id, session.venues[0].id
        db.session.remove()
        try:
            downgrade(revision="0020_session_venues")
            with db.engine.begin() as conn:
                columns = conn.execute(text("SELECT * FROM checkin")).cursor.description
                assert "venue_id" not in {c[0] for c in columns}
        finally:
            upgrade()
        db.session.remove()
        row = db.session.scalar(select(CheckIn).where(CheckIn.id == checkin_id))
        assert (row.venue_id, row.venue_override) == (venue_id, False)
