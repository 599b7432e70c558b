"""The control experiment: the same rush with the capacity lock switched off (and a short pause
before counting, REGISTRATION_RACE_WINDOW) overbooks. It proves that the race is real and that
test_registration_rush passes because of the lock, not because requests happened not to meet."""

from tests.concurrency.live import (
    LiveServer,
    make_people,
    make_stage,
    place_counts,
    registration_calls,
    rush,
)


def test_without_the_lock_the_same_rush_overbooks(live_db, live_app, tmp_path):
    stage = make_stage(live_app, 20)
    people = make_people(live_app, 300, "control")
    unlocked = {"REGISTRATION_LOCKING": "0", "REGISTRATION_RACE_WINDOW": "0.05"}
    with LiveServer(live_db.url, tmp_path, env=unlocked) as server:
        results = rush(server.port, registration_calls(stage, people))
    assert any(r.status == 201 for r in results), server.log()[-2000:]
    confirmed = place_counts(live_app, stage.session_id).get("confirmed", 0)
    assert confirmed > 20, f"no overbooking without the lock ({confirmed} confirmed)"
