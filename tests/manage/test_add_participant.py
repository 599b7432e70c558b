"""Adding a person by hand (phone sign-ups): an existing account, a new one, one without email."""

from sqlalchemy import func, select

from app.accounts.models import User
from app.events import services as events
from app.extensions import db
from app.registration import services as reg
from app.registration.manage_services import NO_EMAIL_DOMAIN
from app.registration.models import PlaceStatus, Registration, RegistrationStatus
from tests.conftest import login, post_form
from tests.registration.factories import make_series

PERSON = {
    "name": "山本 大輔",
    "furigana": "ヤマモト ダイスケ",
    "prefecture": "13",
    "relations": ["origin", "work"],
    "email": "",
    "consent": "y",
}


def _add(client, org_id, series_id, data):
    path = f"/orgs/{org_id}/series/{series_id}/participants/new"
    return post_form(client, path, data, token_from=path)


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _series_with_question(org_id, **fields):
    series = make_series(org_id, sessions=[("hybrid", 2, 5), ("online", None, None)], **fields)
    events.set_questions(
        series,
        [{"kind": "single", "label": "きっかけ", "options": ["電話", "チラシ"], "required": True}],
    )
    db.session.commit()
    return series


def test_an_email_makes_a_record_of_what_the_organiser_typed(client, world, ctx):
    series = _series_with_question(world["org"])
    q = series.questions[0]
    hybrid = series.sessions[0]
    login(client, "organizer@example.jp")
    form = client.get(f"/orgs/{world['org']}/series/{series.id}/participants/new")
    html = form.get_data(as_text=True)
    assert f'name="mode_{hybrid.id}"' in html and f'name="q_{q.id}"' in html
    assert f'name="mode_{series.sessions[1].id}"' not in html  # online only: nothing to choose
    before = _users()
    data = {
        **PERSON,
        "email": "Yamamoto@Example.jp",
        f"mode_{hybrid.id}": "online",
        f"q_{q.id}": "電話",
    }
    response = _add(client, world["org"], series.id, data)
    assert response.status_code == 302
    assert _users() == before + 1
    registration = db.session.scalar(select(Registration))
    user = registration.user
    assert user.password_hash is None and user.furigana == "やまもと だいすけ"
    assert user.relations == ["origin", "work"] and user.prefecture == "13"
    assert user.contact_email == "yamamoto@example.jp" and user.email.endswith(NO_EMAIL_DOMAIN)
    assert registration.source == "manual" and registration.consent_at is not None
    assert registration.answers == {str(q.id): "電話"}
    assert [(p.mode.value, p.status) for p in registration.places] == [
        ("online", PlaceStatus.confirmed),
        ("online", PlaceStatus.confirmed),
    ]
    page = client.get(f"/orgs/{world['org']}/series/{series.id}/participants")
    html = page.get_data(as_text=True)
    assert "山本 大輔" in html and "yamamoto@example.jp" in html
    assert NO_EMAIL_DOMAIN not in html


def test_someone_without_email_gets_a_placeholder_that_is_never_shown(client, world, ctx):
    series = _series_with_question(world["org"])
    q = series.questions[0]
    login(client, "organizer@example.jp")
    hybrid = f"mode_{series.sessions[0].id}"
    data = {**PERSON, f"q_{q.id}": "電話", hybrid: "online"}
    assert _add(client, world["org"], series.id, data).status_code == 302
    user = db.session.scalar(select(User).where(User.name == "山本 大輔"))
    assert user.email.startswith("manual-") and user.email.endswith("@" + NO_EMAIL_DOMAIN)
    page = client.get(f"/orgs/{world['org']}/series/{series.id}/participants")
    assert NO_EMAIL_DOMAIN not in page.get_data(as_text=True)
    rows = post_form(client, f"/orgs/{world['org']}/series/{series.id}/participants.csv")
    assert NO_EMAIL_DOMAIN not in rows.get_data().decode("utf-8-sig")
    # a second person without email is a second account
    second = {**data, "name": "山本 次郎", "furigana": "やまもと じろう"}
    assert _add(client, world["org"], series.id, second).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_errors_are_shown_beside_the_fields_and_nothing_is_kept(client, world, ctx):
    series = _series_with_question(world["org"])
    q = series.questions[0]
    login(client, "organizer@example.jp")
    before = _users()
    bad = {
        **PERSON,
        "name": "",
        "furigana": "yamamoto",
        "prefecture": "99",
        "email": "not-an-address",
        f"q_{q.id}": "",
        "consent": "",
    }
    response = _add(client, world["org"], series.id, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "furigana", "prefecture", "email", f"q_{q.id}", "consent"):
        assert f'id="{field}-error"' in html, field
    wrong_choice = {**PERSON, f"q_{q.id}": "メール"}
    response = _add(client, world["org"], series.id, wrong_choice)
    assert response.status_code == 422 and f'id="q_{q.id}-error"' in response.get_data(as_text=True)
    assert _users() == before
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_someone_already_in_the_list_is_said_so(client, world, ctx):
    series = make_series(world["org"], sessions=[("venue", 5, None)])
    login(client, "organizer@example.jp")
    data = {**PERSON, "email": "yamamoto@example.jp"}
    assert _add(client, world["org"], series.id, data).status_code == 302
    again = _add(client, world["org"], series.id, data)
    assert again.status_code == 422 and 'id="email-error"' in again.get_data(as_text=True)
    # someone who registered themselves is in the list too, with the address it shows
    reg.register(series, db.session.get(User, world["participant"]), consent=True)
    mine = _add(client, world["org"], series.id, {**data, "email": "participant@example.jp"})
    assert mine.status_code == 422 and 'id="email-error"' in mine.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_a_full_session_without_waitlist_keeps_no_new_account(client, world, ctx):
    series = make_series(world["org"], sessions=[("venue", 0, None)], waitlist_enabled=False)
    login(client, "organizer@example.jp")
    before = _users()
    response = _add(client, world["org"], series.id, {**PERSON, "email": "full@example.jp"})
    assert response.status_code == 422 and "form-errors" in response.get_data(as_text=True)
    assert _users() == before
    assert db.session.scalar(select(User).where(User.email == "full@example.jp")) is None


def test_a_full_session_with_waitlist_puts_them_in_line(client, world, ctx):
    series = make_series(world["org"], sessions=[("venue", 0, None)])
    login(client, "organizer@example.jp")
    assert _add(client, world["org"], series.id, PERSON).status_code == 302
    assert db.session.scalar(select(Registration)).status is RegistrationStatus.waitlisted


def test_when_people_choose_sessions_the_organiser_chooses_for_them(client, world, ctx):
    series = make_series(
        world["org"], sessions=[("hybrid", 2, 5), ("venue", 3, None), ("online", None, 9)],
        scope="session",
    )  # fmt: skip
    first, second, third = series.sessions
    login(client, "organizer@example.jp")
    nothing = _add(client, world["org"], series.id, PERSON)
    assert nothing.status_code == 422 and "form-errors" in nothing.get_data(as_text=True)
    data = {**PERSON, f"mode_{first.id}": "online", f"mode_{third.id}": "online"}
    assert _add(client, world["org"], series.id, data).status_code == 302
    registration = db.session.scalar(select(Registration))
    assert [(p.session_id, p.mode.value) for p in registration.places] == [
        (first.id, "online"),
        (third.id, "online"),
    ]
    assert second.id not in {p.session_id for p in registration.places}


def test_organisers_may_add_even_when_registration_is_closed(client, world, ctx):
    from datetime import timedelta

    from app.core.types import utcnow

    series = make_series(
        world["org"],
        sessions=[("venue", 5, None)],
        registration_opens_at=utcnow() - timedelta(days=5),
        registration_closes_at=utcnow() - timedelta(days=1),
    )
    login(client, "organizer@example.jp")
    assert _add(client, world["org"], series.id, PERSON).status_code == 302


def test_staff_and_other_organisations_cannot_add(app, world, ctx):
    series = make_series(world["org"])
    path = f"/orgs/{world['org']}/series/{series.id}/participants/new"
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert post_form(staff, path, PERSON, token_from="/account").status_code == 403
    other = app.test_client()
    login(other, "other@example.jp")
    foreign = f"/orgs/{world['other_org']}/series/{series.id}/participants/new"
    assert post_form(other, foreign, PERSON, token_from="/account").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
