"""The demo has a series held in 東京会場 and 松江会場 at once, plus online: its first session
is over with people checked in at both venues (one let in at Tokyo with a Matsue ticket,
logged) and online attendance, split per venue; its second is ahead with places left at both
venues. Loading the demo again adds nothing."""

from sqlalchemy import func, select

from app.attendance.venue_figures import venue_figures
from app.audit.models import AuditEvent
from app.checkin.models import CheckIn
from app.demo.cli import seed_demo
from app.demo.satellite import SATELLITE
from app.events.models import Series
from app.extensions import db
from tests.conftest import login


def test_the_demo_has_a_series_in_tokyo_and_matsue_plus_online(app):
    with app.app_context():
        seed_demo()
        series = db.session.scalar(select(Series).where(Series.title == SATELLITE))
        held, ahead = series.sessions
        assert [v.name for v in held.venues] == ["東京会場", "松江会場"]
        tokyo, matsue, online = venue_figures([held])[held.id]
        assert (tokyo.name, matsue.name) == ("東京会場", "松江会場")
        assert tokyo.attended >= 10 and matsue.attended >= 8 and online.attended >= 20
        assert tokyo.places + matsue.places == 40
        let_in = db.session.scalars(
            select(CheckIn).where(CheckIn.session_id == held.id, CheckIn.venue_override)
        ).all()
        assert len(let_in) == 1 and let_in[0].venue_id == held.venues[0].id
        logged = db.session.scalar(
            select(AuditEvent).where(AuditEvent.event == "checkin.venue_override")
        )
        assert logged.details["checkin_id"] == let_in[0].id
        upcoming = venue_figures([ahead])[ahead.id]
        for venue, line in zip(ahead.venues, upcoming, strict=False):
            assert 0 < line.places < venue.capacity  # booked, with places left
        series_id, org_id = series.id, series.org_id
        checkins = db.session.scalar(select(func.count()).select_from(CheckIn))
        seed_demo()
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == checkins
    client = app.test_client()
    login(client, "organizer@example.jp", "kakawari-demo")
    board = client.get(f"/orgs/{org_id}/series/{series_id}/dashboard").text
    assert (
        f"東京会場 {tokyo.attended} / 松江会場 {matsue.attended} / オンライン {online.attended}"
        in board
    )
