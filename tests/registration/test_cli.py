"""`flask --app wsgi registration draw`: the cron job that draws lotteries at their deadline."""

from datetime import timedelta

from sqlalchemy import select

from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration, RegistrationStatus
from tests.conftest import create_user
from tests.registration.factories import make_series


def test_draw_command_draws_only_lotteries_past_their_deadline(app, world, ctx):
    due = make_series(world["org"], selection="lottery", sessions=[("venue", 1, None)])
    later = make_series(world["org"], selection="lottery", sessions=[("venue", 1, None)])
    for i in range(3):
        reg.register(due, create_user(f"a{i}@example.jp"), consent=True)
        reg.register(later, create_user(f"b{i}@example.jp"), consent=True)
    due.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["registration", "draw"])
    assert result.exit_code == 0, result.output
    assert f"series {due.id}: 1 of 3 drawn" in result.output
    db.session.expire_all()
    assert db.session.get(Series, due.id).lottery_seed
    assert db.session.get(Series, later.id).lottery_drawn_at is None
    states = db.session.scalars(
        select(Registration.status).where(Registration.series_id == later.id)
    ).all()
    assert set(states) == {RegistrationStatus.applied}

    again = app.test_cli_runner().invoke(args=["registration", "draw"])
    assert "No lottery is due." in again.output
