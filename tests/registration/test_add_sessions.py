"""Per-session series after registering: a person books more sessions (also ones the organiser
adds later) and books again a session they cancelled, from the registration page, the series
page or the API, through the same capacity lock and waitlist as registering."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.errors import AlreadyRegistered
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series, Session, SessionStatus
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from tests.api.test_api_events import bearer
from tests.conftest import create_user, csrf_token
from tests.registration.factories import make_series
from tests.registration.test_notifications import mails_to
from tests.registration.test_views import html, logged_in, person, submit

EN = {"Accept-Language": "en"}


def per_session_series(org_id, sessions=(("hybrid", 2, 5), ("venue", 1, None)), **fields):
    series = make_series(org_id, scope="session", sessions=sessions, **fields)
    return series, [s.id for s in series.sessions]


def registered_for_first(app, world, email="pick@example.jp", **fields):
    """A person registered for the first session only; (client, user_id, series_id, ids,
    registration_id)."""
    with app.app_context():
        series, ids = per_session_series(world["org"], **fields)
        series_id = series.id
    client, user_id = logged_in(app, email)
    with app.app_context():
        registration = reg.register(
            db.session.get(Series, series_id),
            db.session.get(User, user_id),
            modes={ids[0]: "online"},
            session_ids=[ids[0]],
            consent=True,
        )
        registration_id = registration.id
    return client, user_id, series_id, ids, registration_id


def book(client, registration_id, session_id, mode=None, page=None):
    """Press 「この回に申し込む」 for `session_id` on `page` (the registration page by default),
    choosing `mode` for a hybrid session when given."""
    page = page or f"/registrations/{registration_id}"
    action = f"/registrations/{registration_id}/sessions/{session_id}/book"
    if mode is None:
        return submit(client, page, action)
    token = csrf_token(client, page)  # the session's token, as any form on the page has
    return client.post(
        action, data={f"add-{session_id}-csrf_token": token, f"add-{session_id}-mode": mode}
    )


def places_of(registration_id) -> dict[int, Place]:
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    return {p.session_id: p for p in registration.places}


# --- pages ----------------------------------------------------------------------------------------


def test_a_registered_person_books_another_session_from_the_registration_page(app, world, smtp):
    client, _uid, series_id, ids, reg_id = registered_for_first(app, world)
    page = html(client.get(f"/registrations/{reg_id}"))
    assert 'id="add-sessions"' in page and f'data-testid="add-{ids[1]}"' in page
    assert f'data-testid="add-{ids[0]}"' not in page  # held already: nothing to book
    # registering again leads here, to the sessions still free
    again = client.get(f"/series/{series_id}/register")
    assert again.headers["Location"].endswith(f"/registrations/{reg_id}#add-sessions")
    response = book(client, reg_id, ids[1])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/registrations/{reg_id}#place-{ids[1]}")
    assert "第2回: booked, your place is confirmed." in html(
        client.get(response.headers["Location"])
    )
    with app.app_context():
        places = places_of(reg_id)
        assert places[ids[1]].status is PlaceStatus.confirmed
        assert places[ids[1]].mode.value == "venue"
    (mail,) = mails_to(smtp, "pick@example.jp")[-1:]
    assert mail["Subject"] == "Sessions added: しまね関係人口ゼミ 2026"
    body = mail.get_body(("plain",)).get_content()
    assert "第2回" in body and "第1回" not in body  # the mail is about the session just booked


def test_a_session_the_organiser_adds_later_can_be_booked_from_the_series_page(app, world):
    client, _uid, series_id, ids, reg_id = registered_for_first(app, world)
    with app.app_context():
        start = utcnow() + timedelta(days=30)
        added = events.add_session(
            db.session.get(Registration, reg_id).series,
            None,
            {
                "title": "追加回",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": "hybrid",
                "venue_name": "松江",
                "venue_capacity": 3,
                "online_capacity": 3,
            },
        ).id
        db.session.commit()
    series_page = f"/series/{series_id}"
    page = html(client.get(series_page, headers=EN))
    assert "You can book more sessions below." in page
    assert "reg-status-confirmed" in page  # the session held says so
    assert f'data-testid="add-{added}"' in page and f'data-testid="add-{ids[0]}"' not in page
    assert re.search(rf'name="add-{added}-mode"[^>]*type="radio"', page)
    response = book(client, reg_id, added, mode="online", page=series_page)
    assert response.status_code == 302
    with app.app_context():
        place = places_of(reg_id)[added]
        assert (place.mode.value, place.status) == ("online", PlaceStatus.confirmed)
    assert f'data-testid="add-{added}"' not in html(client.get(series_page))


def test_a_cancelled_session_is_booked_again_at_the_end_of_the_line(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world)
    book(client, reg_id, ids[1])  # the venue-only session: its one seat
    with app.app_context():
        reg.cancel(db.session.get(Registration, reg_id), session_id=ids[1])
        series = db.session.get(Registration, reg_id).series
        waiting = reg.register(series, person("w@example.jp"), session_ids=[ids[1]], consent=True)
        assert waiting.places[0].status is PlaceStatus.confirmed  # the freed seat went on
        reg.register(series, person("x@example.jp"), session_ids=[ids[1]], consent=True)
    page = html(client.get(f"/registrations/{reg_id}"))
    assert f'data-testid="add-{ids[1]}"' in page  # in the cancelled place's row
    response = book(client, reg_id, ids[1])
    assert "第2回: booked, you are number 2 on the waitlist." in html(
        client.get(response.headers["Location"])
    )
    with app.app_context():
        places = places_of(reg_id)
        assert len(places) == 2  # the same place, booked again, not a second one
        again = places[ids[1]]
        assert again.status is PlaceStatus.waitlisted and again.cancelled_at is None
        assert db.session.get(Registration, reg_id).status is RegistrationStatus.confirmed


def test_booking_twice_keeps_one_place(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world)
    first, second = book(client, reg_id, ids[1]), book(client, reg_id, ids[1], mode="venue")
    assert first.status_code == second.status_code == 302
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Place).where(Place.registration_id == reg_id)
        )
        assert count == 2


def test_sessions_started_cancelled_or_closed_are_refused_with_the_reason(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world)
    action = f"/registrations/{reg_id}/sessions/{ids[1]}/book"
    token_page = f"/registrations/{reg_id}"
    token = re.search(
        rf'name="add-{ids[1]}-csrf_token" type="hidden" value="([^"]+)"',
        html(client.get(token_page)),
    ).group(1)

    def press():
        response = client.post(action, data={f"add-{ids[1]}-csrf_token": token})
        assert response.status_code == 302
        return html(client.get(response.headers["Location"], headers=EN))

    with app.app_context():
        events.cancel_session(db.session.get(Registration, reg_id).series.sessions[1], None)
        db.session.commit()
    assert "This session has been cancelled." in press()
    with app.app_context():
        series = db.session.get(Registration, reg_id).series
        series.sessions[1].status = SessionStatus.scheduled
        series.sessions[1].starts_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = press()
    assert "This session has already started." in page
    assert f'data-testid="add-{ids[1]}"' not in page  # and it is no longer offered
    with app.app_context():
        series = db.session.get(Registration, reg_id).series
        series.sessions[1].starts_at = utcnow() + timedelta(days=3)
        series.registration_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = press()
    assert "Registration for this series is closed." in page
    assert f'data-testid="add-{ids[1]}"' not in page
    with app.app_context():
        assert ids[1] not in places_of(reg_id)


def test_a_full_session_without_waitlist_is_refused_and_nothing_written(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world, waitlist_enabled=False)
    with app.app_context():
        series = db.session.get(Registration, reg_id).series
        reg.register(series, person("first@example.jp"), session_ids=[ids[1]], consent=True)
    response = book(client, reg_id, ids[1])
    assert "第2回: 第2回 is full (venue) and takes no waitlist." in html(
        client.get(response.headers["Location"], headers=EN)
    )
    with app.app_context():
        assert ids[1] not in places_of(reg_id)


def test_a_registration_cancelled_whole_comes_back_with_a_booked_session(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world)
    with app.app_context():
        reg.cancel(db.session.get(Registration, reg_id))
        assert db.session.get(Registration, reg_id).status is RegistrationStatus.cancelled
    book(client, reg_id, ids[0], mode="venue")
    with app.app_context():
        registration = db.session.get(Registration, reg_id)
        assert registration.status is RegistrationStatus.confirmed
        assert registration.cancelled_at is None
        assert places_of(reg_id)[ids[0]].mode.value == "venue"


def test_an_old_cancelled_registration_offers_nothing_once_the_person_registered_again(app, world):
    client, user_id, series_id, ids, reg_id = registered_for_first(app, world)
    with app.app_context():
        reg.cancel(db.session.get(Registration, reg_id))
        again = reg.register(
            db.session.get(Series, series_id),
            db.session.get(User, user_id),
            session_ids=[ids[1]],
            consent=True,
        ).id
    assert 'data-testid="add-' not in html(client.get(f"/registrations/{reg_id}"))
    with app.app_context():
        with pytest.raises(AlreadyRegistered) as refused:
            reg.add_sessions(db.session.get(Registration, reg_id), {ids[0]: "venue"})
        assert refused.value.registration_id == again
        assert places_of(reg_id)[ids[0]].status is PlaceStatus.cancelled


def test_in_a_lottery_a_booked_session_waits_for_the_draw(app, world):
    client, _uid, _sid, ids, reg_id = registered_for_first(app, world, selection="lottery")
    response = book(client, reg_id, ids[1])
    assert "第2回: booked, the lottery decides." in html(client.get(response.headers["Location"]))
    with app.app_context():
        assert places_of(reg_id)[ids[1]].status is PlaceStatus.applied


def test_other_peoples_registrations_cannot_be_booked_into(app, world):
    _client, _uid, _sid, ids, reg_id = registered_for_first(app, world)
    intruder, _ = logged_in(app, "intruder@example.jp")
    response = intruder.post(
        f"/registrations/{reg_id}/sessions/{ids[1]}/book",
        data={f"add-{ids[1]}-csrf_token": csrf_token(intruder, "/series")},
    )
    assert response.status_code == 404


# --- API ------------------------------------------------------------------------------------------


def test_the_api_books_sessions_with_the_same_rules(app, world, client):
    _c, user_id, _sid, ids, reg_id = registered_for_first(app, world)
    headers = bearer(app, user_id)
    path = f"/api/v1/registrations/{reg_id}/sessions"
    response = client.post(path, json={"session_ids": [ids[1]]}, headers=headers)
    assert response.status_code == 200, response.json
    by_session = {p["session_id"]: p for p in response.json["sessions"]}
    assert by_session[ids[1]]["status"] == "confirmed" and by_session[ids[1]]["mode"] == "venue"
    # hybrid needs a mode; a bad one names the field
    with app.app_context():
        reg.cancel(db.session.get(Registration, reg_id), session_id=ids[0])
    response = client.post(path, json={"session_ids": [ids[0]]}, headers=headers)
    assert response.status_code == 422 and "mode" in response.json["error"]["fields"]
    response = client.post(
        path, json={"session_ids": [ids[0]], "modes": {str(ids[0]): "venue"}}, headers=headers
    )
    assert response.status_code == 200
    by_session = {p["session_id"]: p for p in response.json["sessions"]}
    assert by_session[ids[0]] == {**by_session[ids[0]], "mode": "venue", "status": "confirmed"}
    with app.app_context():
        reg.cancel(db.session.get(Registration, reg_id), session_id=ids[0])
        db.session.get(Session, ids[0]).starts_at = utcnow()
        db.session.commit()
    response = client.post(path, json={"session_ids": [ids[0]], "mode": "venue"}, headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "session_started"
    other = bearer(app, create_user_id(app))
    assert client.post(path, json={"session_ids": [ids[1]]}, headers=other).status_code == 404
    response = client.post(path, json={"session_ids": []}, headers=headers)
    assert response.status_code == 422


def create_user_id(app) -> int:
    with app.app_context():
        return create_user("someone@example.jp").id
