"""Registration is one unit of work per request (issue 17): the edge (a page, an API operation,
a command) commits once; services only flush; listeners of places_changed hear of a change
after it committed, and what they write is their own unit of work."""

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import User
from app.core import uow
from app.core.errors import SessionFull
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.signals import places_changed
from tests.api.test_api_events import bearer
from tests.conftest import create_user, login, post_form
from tests.manage.test_add_participant import PERSON
from tests.registration.factories import make_series
from tests.registration.test_add_sessions import book, registered_for_first
from tests.registration.test_views import logged_in, submit


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _api_person(app, email):
    with app.app_context():
        user_id = create_user(email).id
    return user_id, bearer(app, user_id)


def test_registering_booking_and_cancelling_by_the_api_commit_once(app, client, world, commits):
    with app.app_context():
        series = make_series(world["org"], scope="session", sessions=[("venue", 1, None)] * 2)
        series_id, (s1, s2) = series.id, [s.id for s in series.sessions]
    _, first = _api_person(app, "first@example.jp")
    _, second = _api_person(app, "second@example.jp")

    commits.reset()
    made = client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, "session_ids": [s1]},
        headers=first,
    )
    assert made.status_code == 201 and commits.edge == 1
    rid = made.get_json()["id"]

    commits.reset()
    added = client.post(
        f"/api/v1/registrations/{rid}/sessions", json={"session_ids": [s2]}, headers=first
    )
    assert added.status_code == 200 and commits.edge == 1

    waiting = client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, "session_ids": [s1]},
        headers=second,
    )
    assert waiting.get_json()["status"] == "waitlisted"

    commits.reset()
    assert client.delete(f"/api/v1/registrations/{rid}", headers=first).status_code == 200
    assert commits.edge == 1  # the cancellation and the promotion of who waited
    assert commits.after >= 1  # the mails and tickets of both: their own, after it
    with app.app_context():
        promoted = db.session.get(Registration, waiting.get_json()["id"])
        assert promoted.status is RegistrationStatus.confirmed


def test_a_registration_page_commits_once_and_so_do_switching_booking_and_cancelling(
    app, world, commits
):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 2, 2)])
        series_id, session_id = series.id, series.sessions[0].id
    client, _ = logged_in(app, "page@example.jp")
    commits.reset()
    response = post_form(
        client,
        f"/series/{series_id}/register",
        {"consent": "y", f"mode_{session_id}": "venue"},
        token_from=f"/series/{series_id}/register",
    )
    assert response.status_code == 302 and commits.edge == 1
    with app.app_context():
        rid = db.session.scalar(select(Registration.id).where(Registration.series_id == series_id))

    detail = f"/registrations/{rid}"
    commits.reset()
    submit(client, detail, f"{detail}/sessions/{session_id}/mode")
    assert commits.edge == 1
    with app.app_context():
        assert db.session.get(Registration, rid).places[0].mode.value == "online"

    commits.reset()
    submit(client, detail, f"{detail}/sessions/{session_id}/cancel")
    assert commits.edge == 1
    assert _place_statuses(app, rid) == ["cancelled"]

    commits.reset()
    book(client, rid, session_id, mode="venue")
    assert commits.edge == 1
    assert _place_statuses(app, rid) == ["confirmed"]

    commits.reset()
    submit(client, detail, f"{detail}/cancel")
    assert commits.edge == 1
    assert _place_statuses(app, rid) == ["cancelled"]


def _place_statuses(app, registration_id) -> list[str]:
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        return [p.status.value for p in registration.places]


def test_booking_one_more_session_on_the_page_commits_once(app, world, commits):
    client, _, _, ids, rid = registered_for_first(app, world)
    commits.reset()
    book(client, rid, ids[1])
    assert commits.edge == 1
    assert sorted(_place_statuses(app, rid)) == ["confirmed", "confirmed"]


def test_the_organisers_changes_commit_once(app, client, world, commits, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)], selection="lottery")
    for i in range(3):
        reg.register(series, create_user(f"lot{i}@example.jp"), consent=True)
    base = f"/orgs/{world['org']}/series/{series.id}"
    login(client, "organizer@example.jp")

    commits.reset()
    post_form(client, f"{base}/lottery", token_from=f"{base}/lottery")
    assert commits.edge == 1  # the draw; everyone is told after it, each its own
    assert commits.after >= 1
    assert _count(Place, Place.status == PlaceStatus.confirmed) == 1

    commits.reset()
    added = post_form(
        client,
        f"{base}/participants/new",
        PERSON,
        token_from=f"{base}/participants/new",
    )
    assert added.status_code == 302 and commits.edge == 1
    person = db.session.scalar(select(User).where(User.name == PERSON["name"]))
    registration = db.session.scalar(select(Registration).where(Registration.user_id == person.id))

    commits.reset()
    participants = f"{base}/participants"
    shown = post_form(
        client, f"{participants}/{registration.id}/claim-code", token_from=participants
    )
    assert shown.status_code == 200 and commits.edge == 1


def test_a_refused_registration_leaves_nothing(world, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)], waitlist_enabled=False)
    reg.register(series, create_user("in@example.jp"), consent=True)
    before = _count(Registration), _count(Place), _count(User)
    with pytest.raises(SessionFull):
        reg.register(series, create_user("late@example.jp"), consent=True)
    db.session.rollback()
    assert (_count(Registration), _count(Place)) == before[:2]


def test_an_organiser_adding_someone_to_a_full_series_keeps_no_account(app, client, world, commits):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)], waitlist_enabled=False)
        reg.register(series, create_user("in@example.jp"), consent=True)
        series_id = series.id
        before = _count(User), _count(Registration)
    base = f"/orgs/{world['org']}/series/{series_id}"
    login(client, "organizer@example.jp")
    commits.reset()
    refused = post_form(
        client,
        f"{base}/participants/new",
        PERSON,
        token_from=f"{base}/participants/new",
    )
    assert refused.status_code == 422 and commits.edge == 0
    with app.app_context():
        assert (_count(User), _count(Registration)) == before


def test_a_failing_edge_keeps_nothing_of_what_the_services_wrote(app, world, monkeypatch):
    """A mode switch that breaks after moving the place and promoting who waited: nothing of it
    stays, and nobody is told."""
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 1, 1)])
        series_id, session_id = series.id, series.sessions[0].id
    client, user_id = logged_in(app, "mover@example.jp")
    with app.app_context():
        series = db.session.get(Series, series_id)
        mine = reg.register(series, db.session.get(User, user_id), mode="venue", consent=True)
        rid = mine.id
        reg.register(series, create_user("waits@example.jp"), mode="venue", consent=True)
    heard = []
    receiver = places_changed.connect(lambda r, **kw: heard.append(kw["kind"]), weak=False)
    from app.registration import switching

    record = switching.record

    def breaks(*args, **kwargs):
        record(*args, **kwargs)
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(switching, "record", breaks)
    try:
        path = f"/registrations/{rid}/sessions/{session_id}/mode"
        assert post_form(client, path, {"mode": "online"}).status_code == 500
    finally:
        places_changed.disconnect(receiver)
    assert heard == []
    with app.app_context():
        assert _count(Place, Place.status == PlaceStatus.confirmed, Place.mode == "venue") == 1
        assert db.session.get(Registration, rid).places[0].mode.value == "venue"


def test_listeners_hear_of_a_change_only_after_it_committed(app, client, world, commits):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)])
        series_id = series.id
    _, first = _api_person(app, "first@example.jp")
    _, second = _api_person(app, "second@example.jp")
    made = [
        client.post(
            f"/api/v1/series/{series_id}/registrations", json={"consent": True}, headers=h
        ).get_json()["id"]
        for h in (first, second)
    ]
    seen = []

    def committed_already(registration, kind, **_kwargs):
        with db.engine.connect() as other:  # another connection sees the change: committed
            status = other.execute(
                text("SELECT status FROM registration WHERE id = :r"), {"r": made[0]}
            ).scalar()
        seen.append((kind, commits.edge, str(status).lower()))

    places_changed.connect(committed_already, weak=False)
    try:
        commits.reset()
        client.delete(f"/api/v1/registrations/{made[0]}", headers=first)
    finally:
        places_changed.disconnect(committed_already)
    assert seen and all(edge == 1 and "cancelled" in status for _, edge, status in seen)
    assert [kind for kind, _, _ in seen] == ["cancelled"]


def test_the_draw_command_commits_each_draw_once(app, world, commits, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)], selection="lottery")
    reg.register(series, create_user("lot@example.jp"), consent=True)
    series.registration_closes_at = utcnow()
    db.session.commit()
    commits.reset()
    result = app.test_cli_runner().invoke(args=["registration", "draw"])
    assert "1 of 1 drawn" in result.output, result.output
    assert commits.edge == 1


def test_a_released_savepoint_is_not_the_commit_that_follow_ups_wait_for(app):
    """Booking more sessions uses a savepoint (a refused second click keeps the unit of work
    usable); SQLAlchemy reports its release as a commit, which must not start what waits."""
    ran = []
    with app.app_context():
        uow.after_commit(lambda: ran.append("rolled back"))
        with db.session.begin_nested():
            db.session.execute(text("SELECT 1"))
        assert ran == []
        db.session.rollback()
        db.session.commit()
        assert ran == []
        uow.after_commit(lambda: ran.append("committed"))
        with db.session.begin_nested():
            db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert ran == ["committed"]
