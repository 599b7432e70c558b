"""A scan is one unit of work (issue 17): the check-in and the place it moves commit together,
once; what other areas do about it (tickets, mails, attendance) follows that commit."""

from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.checkin.models import CheckIn
from app.checkin.signals import checked_in
from app.core import uow
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from app.registration.signals import places_changed
from tests.api.test_api_checkin import scan, secret_of, venue  # noqa: F401 (fixture)
from tests.commits import commits  # noqa: F401 (fixture)


def _mode_of(registration_id):
    db.session.expire_all()
    return db.session.get(Registration, registration_id).places[0].mode.value


def _checkins():
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_a_scan_commits_once_even_when_it_moves_an_online_place(client, venue, commits):  # noqa: F811
    ok = scan(client, venue, secret_of(venue.taro), nonce="n-1")
    assert ok["status"] == "ok" and ok["warning"] == "registered_online"
    assert commits.edge == 1
    assert commits.after >= 1  # attendance, the ticket and mails of the move: their own
    assert _mode_of(venue.taro.id) == "venue"

    commits.edge = 0
    assert scan(client, venue, secret_of(venue.hanako))["status"] == "ok"
    assert commits.edge == 1


def test_a_scan_whose_move_fails_keeps_nothing_and_its_retry_completes_it(
    client,
    venue,  # noqa: F811
    monkeypatch,
):
    heard = []
    receiver = checked_in.connect(lambda session, checkin: heard.append(checkin.id), weak=False)
    moved = reg.arrived_at_venue

    def fails_after_moving(*args, **kwargs):
        moved(*args, **kwargs)  # the place moved, the waiting list promoted ... then it breaks
        raise RuntimeError("the move failed")

    monkeypatch.setattr(reg, "arrived_at_venue", fails_after_moving)
    try:
        failed = client.post(
            venue.base, json={"secret": secret_of(venue.taro), "nonce": "n-2"}, headers=venue.staff
        )
        assert failed.status_code == 500
        assert _checkins() == 0
        assert _mode_of(venue.taro.id) == "online"
        assert not db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "registration.arrived_at_venue")
        )
        assert heard == []  # nobody was told of a check-in that did not happen

        monkeypatch.setattr(reg, "arrived_at_venue", moved)
        retried = scan(client, venue, secret_of(venue.taro), nonce="n-2")
        assert retried["status"] == "ok" and retried["warning"] == "registered_online"
        assert _checkins() == 1
        assert _mode_of(venue.taro.id) == "venue"
        assert heard == [retried["checkin_id"]]
    finally:
        checked_in.disconnect(receiver)


def test_listeners_hear_of_a_scan_only_after_it_committed(client, venue, commits):  # noqa: F811
    seen = []

    def committed_already(*_args, **_kwargs):
        # another connection sees the check-in and the moved place: they are committed
        with db.engine.connect() as other:
            rows = other.execute(text("SELECT count(*) FROM checkin")).scalar()
            mode = other.execute(
                text("SELECT mode FROM place WHERE registration_id = :r"), {"r": venue.taro.id}
            ).scalar()
        seen.append((commits.edge, rows, str(mode).lower()))

    checked_in.connect(committed_already, weak=False)
    places_changed.connect(committed_already, weak=False)
    try:
        scan(client, venue, secret_of(venue.taro))
    finally:
        checked_in.disconnect(committed_already)
        places_changed.disconnect(committed_already)
    assert len(seen) == 2  # the check-in, and the place moved to the venue
    assert all(edge == 1 and rows == 1 and "venue" in mode for edge, rows, mode in seen)


def test_what_waits_for_a_commit_is_dropped_when_the_transaction_rolls_back(app):
    ran = []
    with app.app_context():
        uow.after_commit(lambda: ran.append("rolled back"))
        db.session.rollback()
        db.session.commit()
        uow.after_commit(lambda: ran.append("committed"))
        assert ran == []
        db.session.commit()
    assert ran == ["committed"]


def test_a_failing_follow_up_is_logged_and_the_next_one_still_runs(app, monkeypatch):
    ran, logged = [], []
    monkeypatch.setattr(uow.log, "exception", lambda *args: logged.append(args))

    def broken():
        raise RuntimeError("a mail server down")

    with app.app_context():
        uow.after_commit(broken)
        uow.after_commit(lambda: ran.append("next"))
        db.session.commit()
    assert ran == ["next"]
    assert len(logged) == 1 and logged[0][1] is broken
