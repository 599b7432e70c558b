"""People already registered for a per-session series all book its last seats at the same
instant, against a real server (gunicorn, gevent workers, PostgreSQL): never more confirmed
than capacity, the others wait in line without gaps, and one person pressing 「この回に申し込む」
several times at once holds one place."""

from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration.models import Place, PlaceStatus
from tests.concurrency.live import Call, LiveServer, make_people, place_counts, rush
from tests.registration.factories import make_series

SEATS = 5
PEOPLE = 60


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("server")) as live:
        yield live


def per_session_series(app) -> tuple[int, int, int]:
    """A published per-session series: an online first session with room for everyone, and a
    venue session with SEATS seats. (series_id, first_id, last_seats_id)"""
    from app.orgs.models import Organization

    with app.app_context():
        org = Organization(name="しまね関係人口ラボ")
        db.session.add(org)
        db.session.commit()
        series = make_series(
            org.id, scope="session", sessions=[("online", None, None), ("venue", SEATS, None)]
        )
        ids = series.id, *(s.id for s in series.sessions)
        db.session.remove()
    return ids


def registered(server, app, n: int, prefix: str):
    """n people registered for the first session only: [(person, registration_id)]."""
    series_id, first, last = per_session_series(app)
    people = make_people(app, n, prefix)
    body = {"session_ids": [first], "consent": True}
    path = f"/api/v1/series/{series_id}/registrations"
    results = rush(server.port, [Call("POST", path, p.token, body) for p in people])
    assert [r.status for r in results] == [201] * n, server.log()[-2000:]
    return last, [(p, r.body["id"]) for p, r in zip(people, results, strict=True)]


def add_call(person, registration_id, session_id) -> Call:
    path = f"/api/v1/registrations/{registration_id}/sessions"
    return Call("POST", path, person.token, {"session_ids": [session_id]})


def test_many_people_booking_the_last_seats_at_once_never_overbook(server, live_app):
    last, people = registered(server, live_app, PEOPLE, "adder")
    results = rush(server.port, [add_call(p, rid, last) for p, rid in people])
    wrong = [(r.status, r.body) for r in results if r.status != 200]
    assert not wrong, f"{wrong[:3]}\n{server.log()[-2000:]}"
    statuses = Counter(
        next(s["status"] for s in r.body["sessions"] if s["session_id"] == last) for r in results
    )
    assert statuses == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    assert place_counts(live_app, last) == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    positions = sorted(
        s["waitlist_position"]
        for r in results
        for s in r.body["sessions"]
        if s["session_id"] == last and s["status"] == "waitlisted"
    )
    assert positions == list(range(1, PEOPLE - SEATS + 1))  # no gaps, no duplicates
    with live_app.app_context():
        keys = db.session.scalars(
            select(Place.queue_key).where(
                Place.session_id == last, Place.status == PlaceStatus.waitlisted
            )
        ).all()
        db.session.remove()
    assert len(set(keys)) == len(keys)


def test_one_person_pressing_ten_times_at_once_holds_one_place(server, live_app):
    last, ((person, registration_id),) = registered(server, live_app, 1, "presser")
    results = rush(server.port, [add_call(person, registration_id, last)] * 10)
    assert {r.status for r in results} == {200}, [r.body for r in results][:3]
    assert place_counts(live_app, last) == {"confirmed": 1}


def test_control_without_the_lock_the_same_booking_rush_overbooks(live_db, live_app, tmp_path):
    """The control: with the capacity lock off (and a pause before counting) the same rush
    confirms beyond capacity, so the test above passes because of the lock."""
    unlocked = {"REGISTRATION_LOCKING": "0", "REGISTRATION_RACE_WINDOW": "0.05"}
    with LiveServer(live_db.url, tmp_path, env=unlocked) as server:
        last, people = registered(server, live_app, PEOPLE, "control-adder")
        results = rush(server.port, [add_call(p, rid, last) for p, rid in people])
    assert any(r.status == 200 for r in results), server.log()[-2000:]
    confirmed = place_counts(live_app, last).get("confirmed", 0)
    assert confirmed > SEATS, f"no overbooking without the lock ({confirmed} confirmed)"
