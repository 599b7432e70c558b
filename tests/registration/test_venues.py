"""サテライト会場: each venue of a session has its own places and waitlist; people choose a
venue (or online) and may switch when there is room; a venue holding places stays."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import SessionFull, ValidationFailed
from app.events import services as events
from app.events.models import Mode, Series
from app.extensions import db
from app.registration import capacity
from app.registration import services as reg
from app.registration.manage_services import add_participant
from app.registration.models import Place, PlaceStatus, Registration
from tests.conftest import create_user
from tests.registration.factories import make_series, make_two_venue_series


def people(n, prefix="v"):
    return [create_user(f"{prefix}{i}@example.jp") for i in range(n)]


def venues_of(series):
    tokyo, matsue = series.sessions[0].venues
    return tokyo.id, matsue.id


def where(registration):
    place = db.session.get(Registration, registration.id).places[0]
    return place.mode.value, place.venue_id, place.status.value


def test_each_venue_fills_and_waits_on_its_own(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=1, matsue=1, online=1)
    tokyo, matsue = venues_of(series)
    a, b, c, d, e = people(5)
    ra = reg.register(series, a, mode="venue", venue_id=tokyo, consent=True)
    rb = reg.register(series, b, mode="venue", venue_id=tokyo, consent=True)
    rc = reg.register(series, c, mode="venue", venue_id=matsue, consent=True)
    rd = reg.register(series, d, mode="venue", venue_id=matsue, consent=True)
    re_ = reg.register(series, e, mode="online", consent=True)
    assert [where(r) for r in (ra, rb, rc, rd, re_)] == [
        ("venue", tokyo, "confirmed"),
        ("venue", tokyo, "waitlisted"),  # 東京会場 is full, though 松江会場 had room then
        ("venue", matsue, "confirmed"),
        ("venue", matsue, "waitlisted"),
        ("online", None, "confirmed"),
    ]
    db.session.expire_all()
    # each waits first in its own venue's line
    assert capacity.waitlist_position(db.session.get(Registration, rb.id).places[0]) == 1
    assert capacity.waitlist_position(db.session.get(Registration, rd.id).places[0]) == 1
    summary = capacity.summary(db.session.get(Series, series.id).sessions)
    assert (summary.venues[tokyo]["confirmed"], summary.venues[tokyo]["waitlisted"]) == (1, 1)
    assert (summary.venues[matsue]["confirmed"], summary.venues[matsue]["left"]) == (1, 0)
    session_id = series.sessions[0].id
    assert summary[session_id][Mode.venue]["capacity"] == 2  # both venues together


def test_a_cancelled_place_goes_to_the_first_waiting_at_the_same_venue(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=1, matsue=1)
    tokyo, matsue = venues_of(series)
    a, b, c = people(3)
    ra = reg.register(series, a, mode="venue", venue_id=tokyo, consent=True)
    rb = reg.register(series, b, mode="venue", venue_id=matsue, consent=True)
    rc = reg.register(series, c, mode="venue", venue_id=tokyo, consent=True)
    # 松江会場's place freed: nobody waits there, the person waiting for 東京会場 still waits
    assert reg.cancel(rb).promoted == []
    assert where(rc) == ("venue", tokyo, "waitlisted")
    promoted = reg.cancel(db.session.get(Registration, ra.id)).promoted
    assert [p.registration_id for p in promoted] == [rc.id]
    assert where(rc) == ("venue", tokyo, "confirmed")


def test_a_session_of_several_venues_needs_a_venue_of_its_own(world, ctx):
    series = make_two_venue_series(world["org"])
    other = make_series(world["org"], title="別の講座")
    person = create_user()
    with pytest.raises(ValidationFailed) as exc:
        reg.register(series, person, mode="venue", consent=True)
    assert "venue_id" in exc.value.fields
    with pytest.raises(ValidationFailed):
        foreign = other.sessions[0].venues[0].id
        reg.register(series, person, mode="venue", venues={series.sessions[0].id: foreign})
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 0
    # online needs no venue, and a one-venue session takes its venue without being told
    assert where(reg.register(series, person, mode="online", consent=True))[:2] == (
        "online",
        None,
    )
    one = reg.register(other, create_user(), mode="venue", consent=True)
    assert where(one)[1] == other.sessions[0].venues[0].id


def test_switching_venues_needs_room_and_passes_the_old_place_on(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=1, matsue=1, online=1)
    tokyo, matsue = venues_of(series)
    session_id = series.sessions[0].id
    a, b, c = people(3)
    ra = reg.register(series, a, mode="venue", venue_id=tokyo, consent=True)
    rb = reg.register(series, b, mode="venue", venue_id=tokyo, consent=True)  # waits
    rc = reg.register(series, c, mode="venue", venue_id=matsue, consent=True)
    with pytest.raises(SessionFull):  # 松江会場 is full
        reg.switch_mode(ra, session_id, "venue", venue_id=matsue)
    assert where(ra) == ("venue", tokyo, "confirmed")
    reg.cancel(rc)
    outcome = reg.switch_mode(
        db.session.get(Registration, ra.id), session_id, "venue", venue_id=matsue
    )
    assert where(ra) == ("venue", matsue, "confirmed")
    assert [p.registration_id for p in outcome.promoted] == [rb.id]  # 東京会場's place passed on
    assert where(rb) == ("venue", tokyo, "confirmed")
    # venue → online and back to a chosen venue
    reg.switch_mode(db.session.get(Registration, ra.id), session_id, "online")
    assert where(ra) == ("online", None, "confirmed")
    with pytest.raises(ValidationFailed):  # which venue?
        reg.switch_mode(db.session.get(Registration, ra.id), session_id, "venue")
    reg.switch_mode(db.session.get(Registration, ra.id), session_id, "venue", venue_id=matsue)
    assert where(ra) == ("venue", matsue, "confirmed")


def test_a_waiting_place_switched_to_another_venue_queues_last_there(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=1, matsue=1)
    tokyo, matsue = venues_of(series)
    session_id = series.sessions[0].id
    a, b, c, d = people(4)
    reg.register(series, a, mode="venue", venue_id=tokyo, consent=True)
    reg.register(series, b, mode="venue", venue_id=matsue, consent=True)
    rc = reg.register(series, c, mode="venue", venue_id=matsue, consent=True)  # waits 1st
    rd = reg.register(series, d, mode="venue", venue_id=tokyo, consent=True)  # waits 1st
    reg.switch_mode(rd, session_id, "venue", venue_id=matsue)
    db.session.expire_all()
    queued = capacity.waitlist(session_id, Mode.venue, matsue)
    assert [p.registration_id for p in queued] == [rc.id, rd.id]
    assert capacity.waitlist(session_id, Mode.venue, tokyo) == []


def test_the_lottery_draws_each_venue_up_to_its_own_capacity(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=2, matsue=1, selection="lottery")
    tokyo, matsue = venues_of(series)
    for i, person in enumerate(people(6)):
        venue_id = tokyo if i % 2 else matsue
        reg.register(series, person, mode="venue", venue_id=venue_id, consent=True)
    reg.draw_lottery(series, seed="venues")
    counts = capacity.confirmed_counts([series.sessions[0].id])
    session_id = series.sessions[0].id
    assert counts[(session_id, Mode.venue, tokyo)] == 2
    assert counts[(session_id, Mode.venue, matsue)] == 1
    waiting = db.session.scalars(select(Place).where(Place.status == PlaceStatus.waitlisted))
    assert sorted(p.venue_id for p in waiting) == [tokyo, matsue, matsue]


def test_a_raised_venue_capacity_promotes_that_venues_waitlist(world, ctx):
    series = make_two_venue_series(world["org"], tokyo=1, matsue=1)
    tokyo, matsue = venues_of(series)
    session = series.sessions[0]
    regs = [
        reg.register(series, p, mode="venue", venue_id=v, consent=True)
        for p, v in zip(people(4), (tokyo, tokyo, matsue, matsue), strict=True)
    ]
    venues = [{"id": v.id, "name": v.name, "capacity": v.capacity} for v in session.venues]
    venues[1]["capacity"] = 2  # 松江会場 1 → 2
    changes = events.update_session(session, None, {"venues": venues})
    db.session.commit()
    assert "capacity" in changes
    assert where(regs[3]) == ("venue", matsue, "confirmed")
    assert where(regs[1]) == ("venue", tokyo, "waitlisted")


def test_a_venue_holding_places_is_not_removed_and_an_empty_one_is(world, ctx):
    series = make_two_venue_series(world["org"])
    tokyo, matsue = venues_of(series)
    session = series.sessions[0]
    reg.register(series, create_user(), mode="venue", venue_id=matsue, consent=True)
    keep_tokyo = [{"id": tokyo, "name": "東京会場", "capacity": 2}]
    with pytest.raises(ValidationFailed) as exc:
        events.update_session(session, None, {"venues": keep_tokyo})
    db.session.rollback()
    assert "松江会場" in str(exc.value.fields["venues"][0])
    keep_matsue = [{"id": matsue, "name": "松江会場", "capacity": 2}]
    changes = events.update_session(db.session.merge(session), None, {"venues": keep_matsue})
    db.session.commit()
    assert "place" in changes
    assert [v.id for v in db.session.get(type(session), session.id).venues] == [matsue]


def test_an_organiser_adds_someone_by_hand_at_the_venue_they_choose(world, ctx):
    from app.accounts.models import User

    series = make_two_venue_series(world["org"])
    _tokyo, matsue = venues_of(series)
    session_id = series.sessions[0].id
    organiser = db.session.get(User, world["organizer"])
    person = {"name": "電話 太郎", "furigana": "でんわ たろう", "prefecture": "32", "email": ""}
    registration = add_participant(
        series,
        organiser,
        person,
        modes={session_id: "venue"},
        venues={session_id: matsue},
        consent=True,
    )
    db.session.commit()
    assert where(registration) == ("venue", matsue, "confirmed")


def test_the_ticket_the_calendar_and_the_reminder_name_the_persons_venue(
    app, client, world, ctx, smtp
):
    import icalendar

    from app.registration import calendar
    from app.registration.reminders import day_before_moment, queue_due_reminders
    from tests.conftest import login

    series = make_two_venue_series(world["org"])
    _tokyo, matsue = venues_of(series)
    session = series.sessions[0]
    person = create_user("matsue@example.jp")
    registration = reg.register(series, person, mode="venue", venue_id=matsue, consent=True)
    db.session.commit()

    login(client, "matsue@example.jp")
    page = client.get(f"/registrations/{registration.id}/ticket").get_data(as_text=True)
    assert "松江会場 · 島根県松江市白潟本町43" in page and "東京会場" not in page

    def location(feed: bytes) -> str:
        (event,) = icalendar.Calendar.from_ical(feed).walk("VEVENT")
        return str(event["LOCATION"])

    mine = calendar.person_feed(person, reg.user_registrations(person))
    assert location(mine) == "松江会場, 島根県松江市白潟本町43"
    public = calendar.series_feed(db.session.get(Series, series.id))
    assert location(public) == "東京会場 / 松江会場"  # the public entry names both

    smtp.clear()
    queue_due_reminders(day_before_moment(session.starts_at, 18 * 60) + timedelta(minutes=1))
    db.session.commit()
    (mail,) = [m for m in smtp if m["To"] == "matsue@example.jp"]
    text = mail.get_body(("plain",)).get_content()
    assert "松江会場 島根県松江市白潟本町43" in text and "東京会場" not in text
