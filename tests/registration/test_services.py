"""The registration rules, at the service level."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import (
    AlreadyRegistered,
    RegistrationClosed,
    RegistrationNotOpen,
    SessionFull,
    ValidationFailed,
)
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Mode
from app.extensions import db
from app.registration import capacity
from app.registration import services as reg
from app.registration.models import PlaceStatus, Registration, RegistrationStatus
from tests.conftest import create_user
from tests.registration.factories import make_series


def people(n):
    return [create_user(f"p{i}@example.jp") for i in range(n)]


def statuses(registration):
    return [(p.mode.value, p.status.value) for p in registration.places]


def test_first_come_confirms_until_full_then_waitlists_in_order(world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 2, 1)])
    a, b, c, d = people(4)
    ra = reg.register(series, a, mode="venue", consent=True)
    rb = reg.register(series, b, mode="venue", consent=True)
    rc = reg.register(series, c, mode="venue", consent=True)
    rd = reg.register(series, d, mode="venue", consent=True)
    assert [r.status for r in (ra, rb, rc, rd)] == [RegistrationStatus.confirmed] * 2 + [
        RegistrationStatus.waitlisted
    ] * 2
    assert capacity.waitlist_position(rc.places[0]) == 1
    assert capacity.waitlist_position(rd.places[0]) == 2


def test_cancelling_promotes_the_first_waiting_person(world, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)])
    a, b, c = people(3)
    ra = reg.register(series, a, consent=True)
    rb = reg.register(series, b, consent=True)
    rc = reg.register(series, c, consent=True)
    outcome = reg.cancel(ra)
    assert [p.registration_id for p in outcome.promoted] == [rb.id]
    db.session.expire_all()
    assert db.session.get(Registration, ra.id).status is RegistrationStatus.cancelled
    assert db.session.get(Registration, rb.id).status is RegistrationStatus.confirmed
    assert capacity.waitlist_position(db.session.get(Registration, rc.id).places[0]) == 1


def test_one_active_registration_per_person(world, ctx):
    series = make_series(world["org"])
    user = create_user()
    first = reg.register(series, user, mode="online", consent=True)
    with pytest.raises(AlreadyRegistered) as exc:
        reg.register(series, user, mode="online", consent=True)
    assert exc.value.registration_id == first.id
    reg.cancel(first)
    again = reg.register(series, user, mode="venue", consent=True)  # after cancelling: fine
    assert again.id != first.id


def test_no_waitlist_means_full_is_refused_and_nothing_written(world, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)], waitlist_enabled=False)
    a, b = people(2)
    reg.register(series, a, consent=True)
    with pytest.raises(SessionFull):
        reg.register(series, b, consent=True)
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 1


def test_window_and_consent_are_enforced(world, ctx):
    now = utcnow()
    later = make_series(world["org"], registration_opens_at=now + timedelta(days=1))
    closed = make_series(
        world["org"],
        registration_opens_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=1),
    )
    user = create_user()
    with pytest.raises(RegistrationNotOpen):
        reg.register(later, user, mode="venue", consent=True)
    with pytest.raises(RegistrationClosed):
        reg.register(closed, user, mode="venue", consent=True)
    open_series = make_series(world["org"])
    with pytest.raises(ValidationFailed) as exc:
        reg.register(open_series, user, mode="venue", consent=False)
    assert "consent" in exc.value.fields


def test_switching_mode_needs_room_and_passes_the_old_place_on(world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 1, 1)])
    a, b, c = people(3)
    ra = reg.register(series, a, mode="venue", consent=True)
    rb = reg.register(series, b, mode="venue", consent=True)  # waits for the venue
    reg.register(series, c, mode="online", consent=True)  # online now full
    session_id = series.sessions[0].id
    with pytest.raises(SessionFull):
        reg.switch_mode(ra, session_id, "online")
    reg.cancel(db.session.get(Registration, 3))  # online frees up
    outcome = reg.switch_mode(db.session.get(Registration, ra.id), session_id, "online")
    assert [p.registration_id for p in outcome.promoted] == [rb.id]
    db.session.expire_all()
    assert statuses(db.session.get(Registration, ra.id)) == [("online", "confirmed")]
    assert statuses(db.session.get(Registration, rb.id)) == [("venue", "confirmed")]


def test_series_scope_takes_every_upcoming_session_with_mode_per_session(world, ctx):
    series = make_series(
        world["org"], sessions=[("hybrid", 40, 200), ("online", None, 200), ("venue", 40, None)]
    )
    ids = [s.id for s in series.sessions]
    r = reg.register(series, create_user(), modes={ids[0]: "online"}, mode="venue", consent=True)
    assert statuses(r) == [("online", "confirmed"), ("online", "confirmed"), ("venue", "confirmed")]


def test_session_scope_needs_chosen_sessions(world, ctx):
    series = make_series(world["org"], scope="session", sessions=[("venue", 5, None)] * 3)
    user = create_user()
    with pytest.raises(ValidationFailed):
        reg.register(series, user, consent=True)
    r = reg.register(series, user, session_ids=[series.sessions[1].id], consent=True)
    assert [p.session_id for p in r.places] == [series.sessions[1].id]


def test_lottery_draw_is_uniform_seeded_and_waitlists_the_rest(world, ctx):
    series = make_series(world["org"], selection="lottery", sessions=[("venue", 3, None)])
    users = people(10)
    for u in users:
        assert reg.register(series, u, consent=True).status is RegistrationStatus.applied
    result = reg.draw_lottery(series, seed="fixed-seed")
    assert result == {"entries": 10, "won": 3, "seed": "fixed-seed"}
    db.session.expire_all()
    places = [r.places[0] for r in db.session.scalars(select(Registration))]
    assert sum(p.status is PlaceStatus.confirmed for p in places) == 3
    waiting = sorted(
        capacity.waitlist_position(p) for p in places if p.status is PlaceStatus.waitlisted
    )
    assert waiting == list(range(1, 8))
    with pytest.raises(RegistrationClosed):
        reg.register(series, create_user(), consent=True)  # drawn: closed


def test_lottery_with_the_same_seed_gives_the_same_winners(world, ctx):
    winners = []
    for _ in range(2):
        series = make_series(world["org"], selection="lottery", sessions=[("venue", 2, None)])
        for i in range(6):
            reg.register(series, create_user(f"l{series.id}-{i}@example.jp"), consent=True)
        reg.draw_lottery(series, seed="same")
        db.session.expire_all()
        regs = db.session.scalars(
            select(Registration)
            .where(Registration.series_id == series.id)
            .order_by(Registration.id)
        ).all()
        winners.append([i for i, r in enumerate(regs) if r.status is RegistrationStatus.confirmed])
    assert winners[0] == winners[1]


def test_raising_capacity_promotes_waiting_people(world, ctx):
    series = make_series(world["org"], sessions=[("venue", 1, None)])
    a, b = people(2)
    reg.register(series, a, consent=True)
    rb = reg.register(series, b, consent=True)
    session = series.sessions[0]
    events.update_session(session, None, {"venue_capacity": 2})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, rb.id).status is RegistrationStatus.confirmed


def test_required_questions_and_choices_are_validated(world, ctx):
    series = make_series(world["org"])
    events.set_questions(
        series,
        [
            {
                "kind": "single",
                "label": "参加のきっかけ",
                "options": ["SNS", "知人"],
                "required": True,
            },
            {"kind": "multiple", "label": "関心のある分野", "options": ["農業", "観光", "教育"]},
            {"kind": "text", "label": "ひとこと"},
        ],
    )
    db.session.commit()
    q1, q2, q3 = (str(q.id) for q in series.questions)
    user = create_user()
    with pytest.raises(ValidationFailed) as exc:
        reg.register(series, user, mode="venue", consent=True, answers={q2: ["宇宙"]})
    assert set(exc.value.fields) == {f"answers.{q1}", f"answers.{q2}"}
    r = reg.register(
        series,
        user,
        mode="venue",
        consent=True,
        answers={q1: "知人", q2: ["教育", "農業"], q3: "  よろしく "},
    )
    assert r.answers == {q1: "知人", q2: ["農業", "教育"], q3: "よろしく"}


def test_mode_must_be_offered(world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 2, 2)])
    with pytest.raises(ValidationFailed):
        reg.register(series, create_user(), mode="teleport", consent=True)
    r = reg.register(series, create_user(), mode="online", consent=True)
    assert r.places[0].mode is Mode.online


def test_the_position_told_on_registering_is_the_position_in_the_queue(world, ctx):
    from app.api.registration import registration_payloads

    series = make_series(world["org"], sessions=[("hybrid", 1, 1)])
    told = []
    for user in people(4):
        registration = reg.register(series, user, mode="venue", consent=True)
        told.append(registration_payloads([registration])[0]["waitlist_position"])
    assert told == [None, 1, 2, 3]
    db.session.expire_all()
    session = series.sessions[0]
    queued = capacity.waitlist(session.id, Mode.venue, session.venues[0].id)
    assert [capacity.waitlist_position(p) for p in queued] == [1, 2, 3]


def test_someone_added_after_a_lottery_waits_behind_the_drawn_order(world, ctx):
    series = make_series(world["org"], selection="lottery", sessions=[("venue", 1, None)])
    for user in people(4):
        reg.register(series, user, consent=True)
    reg.draw_lottery(series, seed="fixed-seed")
    db.session.expire_all()
    series = db.session.get(type(series), series.id)
    late = reg.register(series, create_user("late@example.jp"), source="manual")
    assert late.status is RegistrationStatus.waitlisted
    db.session.expire_all()
    session = series.sessions[0]
    queued = capacity.waitlist(session.id, Mode.venue, session.venues[0].id)
    assert [p.registration_id for p in queued][-1] == late.id
    assert capacity.waitlist_position(queued[-1]) == 4


def test_a_waiting_place_switched_to_the_other_mode_queues_last_there(world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 1, 1)])
    a, b, c, d = people(4)
    reg.register(series, a, mode="venue", consent=True)
    reg.register(series, b, mode="online", consent=True)
    reg.register(series, c, mode="online", consent=True)  # waits online, first
    rd = reg.register(series, d, mode="venue", consent=True)  # waits for the venue
    session_id = series.sessions[0].id
    reg.switch_mode(rd, session_id, "online")
    db.session.expire_all()
    queued = capacity.waitlist(session_id, Mode.online)
    assert [p.registration_id for p in queued] == [3, rd.id]
