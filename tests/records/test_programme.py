"""The organisation's list of people with at least N activities in its programme in a 年度:
only those who agreed at registration, only this organisation's activities, N its setting."""

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db
from app.records import programme
from app.registration import services as registration
from app.registration.models import Registration
from tests.attendance.test_history import completed_online_series, two_orgs  # noqa: F401
from tests.conftest import create_user, csrf_token, login
from tests.records.clock import YEAR, into_one_year
from tests.registration.factories import make_series


def _consent(app, user_id, series_id):
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.user_id == user_id, Registration.series_id == series_id
            )
        )
        reg.record_consent_at = utcnow()
        db.session.commit()


@pytest.fixture
def people(app, world, two_orgs):  # noqa: F811
    """The participant: 2 activities in the organisation's programme (two_orgs' A) and one in
    the other organisation's; a second person, who did not agree, 2 activities here."""
    with app.app_context():
        person = db.session.get(User, world["participant"])
        completed_online_series(world["other_org"], person, title="よその講座", sessions=1)
        quiet = create_user("quiet@example.jp", name="静 かな", furigana="しず かな")
        series = completed_online_series(world["org"], quiet, title="別の講座", sessions=2)
        into_one_year()
        return {"quiet": quiet.id, "quiet_series": series.id}


def test_only_people_who_agreed_with_n_activities_are_listed(app, client, world, two_orgs, people):  # noqa: F811
    with app.app_context():
        assert programme.listed(world["org"], YEAR, 1) == []  # nobody agreed yet
    _consent(app, world["participant"], two_orgs["a"])
    with app.app_context():
        found = [(p.user.id, p.activities) for p in programme.listed(world["org"], YEAR, 2)]
        assert found == [(world["participant"], 2)]  # the other organisation's is not counted
        assert programme.listed(world["org"], YEAR, 3) == []
        # consent given to the other organisation does not open this one's list
        assert programme.listed(world["other_org"], YEAR, 1) == []

    login(client, world["emails"]["organizer"])
    token = csrf_token(client, f"/orgs/{world['org']}/records")
    client.post(
        f"/orgs/{world['org']}/records/settings", data={"min_activities": "2", "csrf_token": token}
    )
    html = client.get(f"/orgs/{world['org']}/records?year={YEAR}").get_data(as_text=True)
    with app.app_context():
        name = db.session.get(User, world["participant"]).name
    assert name in html and "静 かな" not in html
    r = client.post(
        f"/orgs/{world['org']}/records/settings", data={"min_activities": "3", "csrf_token": token}
    )
    assert r.status_code == 302
    assert name not in client.get(f"/orgs/{world['org']}/records").get_data(as_text=True)
    client.post(
        f"/orgs/{world['org']}/records/settings",
        data={"min_activities": "abc", "csrf_token": token},
    )
    with app.app_context():
        assert programme.min_activities(world["org"]) == 3  # a bad value changes nothing


def test_consent_is_recorded_by_the_registration_form(app, client, world):
    with app.app_context():
        series = make_series(world["org"], title="同意つきの講座", sessions=(("online", None, 10),))
        sid = series.id
        session_id = series.sessions[0].id
    login(client, world["emails"]["participant"])
    token = csrf_token(client, f"/series/{sid}/register")
    r = client.post(
        f"/series/{sid}/register",
        data={
            "consent": "y",
            "record_consent": "y",
            "csrf_token": token,
            "sessions": str(session_id),
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.series_id == sid))
        assert reg.record_consent_at is not None
        other = make_series(world["org"], title="同意なし", sessions=(("online", None, 10),))
        registration.register(
            other, db.session.get(User, world["participant"]), mode="online", consent=True
        )
        db.session.commit()
        reg = db.session.scalar(select(Registration).where(Registration.series_id == other.id))
        assert reg.record_consent_at is None
