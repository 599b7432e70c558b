"""Someone registered by phone without an email later makes their own account and takes the
hand-made record over with the code the organiser gives them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.attendance.models import Attendance, AttendanceStatus
from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.extensions import db
from app.registration import claims
from app.registration import manage_services as manage
from app.registration.models import Registration, RegistrationStatus
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series

PERSON = {"name": "山本 大輔", "furigana": "やまもと だいすけ", "prefecture": "32", "relations": []}
CODE = re.compile(r'class="claim-code"[^>]*><strong>([A-Z0-9]{5}-[A-Z0-9]{5})</strong>')


def _by_phone(world, series):
    organiser = db.session.get(User, world["organizer"])
    registration = manage.add_participant(
        series, organiser, PERSON, modes={series.sessions[0].id: "venue"}, consent=True
    )
    assert registration.user.email.endswith(".invalid")
    return registration


def _code_from_the_organiser(app, world, series, registration) -> str:
    client = app.test_client()
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}/participants"
    page = client.get(base).get_data(as_text=True)
    assert f"/participants/{registration.id}/claim-code" in page  # the button beside them
    shown = post_form(client, f"{base}/{registration.id}/claim-code", token_from=base)
    assert shown.status_code == 200
    return CODE.search(shown.get_data(as_text=True))[1]


def _claim(client, code):
    return post_form(
        client, "/registrations/claim", {"code": code}, token_from="/registrations/claim"
    )


@pytest.fixture
def by_phone(app, world, ctx):
    series = make_series(world["org"], title="ふるさとみつけ塾", sessions=[("hybrid", 5, 5)])
    registration = _by_phone(world, series)
    # they came to the venue: their attendance is on the hand-made account
    db.session.add(
        Attendance(
            session_id=series.sessions[0].id,
            user_id=registration.user_id,
            registration_id=registration.id,
            mode="venue",
            status=AttendanceStatus.attended_venue,
            computed_status=AttendanceStatus.attended_venue,
        )
    )
    db.session.commit()
    return series, registration


def test_the_person_takes_the_phone_registration_into_their_own_account(app, world, by_phone):
    series, registration = by_phone
    placeholder_id = registration.user_id
    code = _code_from_the_organiser(app, world, series, registration)
    me = create_user("yamamoto@example.jp", name="山本 大輔")
    client = app.test_client()
    login(client, "yamamoto@example.jp")
    # typed as a phone keyboard might: lower case, full width, without the hyphen
    typed = (
        code.lower()
        .replace("-", "")
        .translate({ord(c): ord(c) + 0xFEE0 for c in "abcdefghijklmnopqrstuvwxyz0123456789"})
    )
    answer = _claim(client, typed)
    assert answer.status_code == 302 and answer.location.endswith("/registrations")
    listing = client.get("/registrations").get_data(as_text=True)
    assert "ふるさとみつけ塾" in listing
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).user_id == me.id
    assert db.session.get(User, placeholder_id) is None
    moved = db.session.scalar(
        select(Attendance).where(Attendance.registration_id == registration.id)
    )
    assert moved.user_id == me.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "account.claimed"))
    assert event.details["from_user_id"] == placeholder_id
    # once only
    other = create_user("someone@example.jp")
    client2 = app.test_client()
    login(client2, other.email)
    again = _claim(client2, code)
    assert again.status_code == 422
    assert "このコードは正しくないか" in again.get_data(as_text=True)


def test_a_wrong_or_expired_code_changes_nothing(app, world, by_phone):
    series, registration = by_phone
    code = _code_from_the_organiser(app, world, series, registration)
    me = create_user("yamamoto@example.jp")
    with pytest.raises(claims.ValidationFailed):
        claims.claim(me, "ABCDE-ABCDE")
    placeholder = db.session.get(User, registration.user_id)
    placeholder.claim_code_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(claims.ValidationFailed):
        claims.claim(me, code)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).user_id == placeholder.id


def test_both_registered_for_the_series_is_refused_with_the_reason(app, world, by_phone):
    from app.registration import services as reg

    series, registration = by_phone
    code = _code_from_the_organiser(app, world, series, registration)
    me = create_user("yamamoto@example.jp")
    reg.register(series, me, mode="online", consent=True)
    client = app.test_client()
    login(client, me.email)
    refused = _claim(client, code)
    assert refused.status_code == 422
    assert "ふるさとみつけ塾" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).user_id != me.id
    # after cancelling their own, it works
    mine = db.session.scalar(select(Registration).where(Registration.user_id == me.id))
    reg.cancel(mine)
    taken = claims.claim(db.session.get(User, me.id), code)
    assert [r.id for r in taken] == [registration.id]
    assert taken[0].status is RegistrationStatus.confirmed


def test_only_hand_made_accounts_without_an_email_get_a_code(app, world, ctx):
    series = make_series(world["org"], sessions=[("venue", 5, None)])
    person = create_user("real@example.jp")
    organiser = db.session.get(User, world["organizer"])
    with pytest.raises(claims.ValidationFailed):
        claims.new_claim_code(person, actor=organiser, org=None)
    assert not claims.can_have_claim_code(person)
    assert claims.can_have_claim_code(_by_phone(world, series).user)


def test_guessing_is_cut_short(app, world, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "CLAIMS_PER_ACCOUNT", "3 per hour")
    create_user("guess@example.jp")
    client = app.test_client()
    login(client, "guess@example.jp")
    answers = [_claim(client, f"ABCDE-2345{i}").status_code for i in range(4)]
    assert answers == [422, 422, 422, 429]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_codes_are_normalised_as_typed():
    assert claims.normalize_code("abcde-23456") == "ABCDE23456"
    assert claims.normalize_code("ＡＢＣＤＥ　２３４５６") == "ABCDE23456"
    assert claims.normalize_code(None) == ""
