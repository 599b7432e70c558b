"""サテライト会場 at the door: a scanner works at one venue of a session; a ticket for another
venue is refused naming it, unless staff let the person in here (logged); people registered
online may come to any venue."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.checkin.models import CheckIn
from app.checkin.rules import Reason, reject_reason, venue_reason
from app.core.errors import ValidationFailed
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.events.models import Mode
from app.extensions import db
from app.registration.models import Place, PlaceStatus
from tests.checkin.helpers import two_venue_series
from tests.checkin.test_services import registered, staff_user


def _setup(world):
    series, session, matsue, tokyo = two_venue_series(world["org"])
    in_matsue = registered(series, "matsue@example.jp", venue_id=matsue.id)
    in_tokyo = registered(series, "tokyo@example.jp", venue_id=tokyo.id)
    online = registered(series, "online@example.jp", mode="online")
    return series, session, matsue, tokyo, in_matsue, in_tokyo, online


def test_the_venue_rule_refuses_a_place_at_another_venue_only(world, ctx):
    _, session, matsue, tokyo, in_matsue, _, online = _setup(world)
    place = in_matsue.place_for(session.id)
    assert venue_reason(place, matsue) is None
    assert venue_reason(place, tokyo) is Reason.wrong_venue
    assert venue_reason(online.place_for(session.id), tokyo) is None  # online: any venue
    at = session.starts_at
    assert reject_reason(session, in_matsue, place, at, venue=tokyo) is Reason.wrong_venue
    assert reject_reason(session, in_matsue, place, at, venue=matsue) is None
    place.status = PlaceStatus.waitlisted  # the place's own state is said first
    assert reject_reason(session, in_matsue, place, at, venue=tokyo) is Reason.waitlisted
    db.session.rollback()


def test_each_venue_admits_its_own_and_names_the_other_venue(world, ctx):
    _, session, matsue, tokyo, in_matsue, in_tokyo, _ = _setup(world)
    staff = staff_user(world)
    at_tokyo = checkin.decide(
        session, staff, secret=checkin.valid_ticket(in_matsue).secret, venue_id=tokyo.id
    )
    assert at_tokyo.status == "rejected" and at_tokyo.reason is Reason.wrong_venue
    answer = at_tokyo.to_dict()
    assert answer["message"] == "松江会場のチケットです。"
    assert answer["ticket_venue"] == "松江会場" and answer["overridable"] is True
    ok = checkin.decide(
        session, staff, secret=checkin.valid_ticket(in_tokyo).secret, venue_id=tokyo.id
    )
    db.session.commit()
    assert ok.status == "ok" and ok.checkin.venue_id == tokyo.id
    assert ok.to_dict()["checked_in_venue"] == "東京会場"
    assert checkin.status(session, tokyo)["checked_in"] == 1
    assert checkin.status(session, matsue)["checked_in"] == 0
    assert checkin.status(session, tokyo)["expected"] == 1


def test_a_session_of_several_venues_needs_the_scanners_venue(world, ctx):
    _, session, _, _, in_matsue, _, _ = _setup(world)
    secret = checkin.valid_ticket(in_matsue).secret
    for venue_id in (None, 10**6):
        try:
            checkin.decide(session, staff_user(world), secret=secret, venue_id=venue_id)
        except ValidationFailed as exc:
            assert "venue_id" in exc.fields
        else:
            raise AssertionError("a check-in without the scanner's venue was decided")
    assert db.session.scalar(select(db.func.count()).select_from(CheckIn)) == 0


def test_the_override_admits_here_and_logs_who_and_why(world, ctx):
    _, session, matsue, tokyo, in_matsue, _, _ = _setup(world)
    staff = staff_user(world)
    secret = checkin.valid_ticket(in_matsue).secret
    verdict = checkin.decide(
        session, staff, secret=secret, venue_id=tokyo.id, override=True, note="乗り換えで東京に"
    )
    db.session.commit()
    assert verdict.status == "ok" and verdict.to_dict()["venue_override"] is True
    row = db.session.scalar(select(CheckIn))
    assert (row.venue_id, row.venue_override, row.staff_id) == (tokyo.id, True, staff.id)
    logged = db.session.scalar(
        select(AuditEvent).where(AuditEvent.event == "checkin.venue_override")
    )
    assert logged.actor_id == staff.id and logged.org_id == world["org"]
    assert logged.details["venue"] == "東京会場" and logged.details["ticket_venue"] == "松江会場"
    assert logged.details["note"] == "乗り換えで東京に"
    # the place stays booked where it was
    assert in_matsue.place_for(session.id).venue_id == matsue.id
    # the same ticket at Matsue now: already in, and where
    again = checkin.decide(session, staff, secret=secret, venue_id=matsue.id)
    assert again.status == "already_checked_in"
    assert again.to_dict()["checked_in_venue"] == "東京会場"


def test_the_override_lifts_only_the_venue_rule(world, ctx):
    _, session, _, tokyo, in_matsue, _, _ = _setup(world)
    place = in_matsue.place_for(session.id)
    place.status = PlaceStatus.waitlisted
    db.session.commit()
    verdict = checkin.decide(
        session,
        staff_user(world),
        secret=checkin.valid_ticket(in_matsue).secret,
        venue_id=tokyo.id,
        override=True,
    )
    assert verdict.status == "rejected" and verdict.reason is Reason.waitlisted
    assert not verdict.to_dict()["overridable"]


def test_someone_registered_online_is_moved_to_the_venue_they_came_to(world, ctx):
    _, session, _, tokyo, _, _, online = _setup(world)
    verdict = checkin.decide(
        session, staff_user(world), registration=online, source="manual", venue_id=tokyo.id
    )
    db.session.commit()
    assert verdict.status == "ok" and verdict.warning == "registered_online"
    place = db.session.scalar(
        select(Place).where(Place.registration_id == online.id, Place.session_id == session.id)
    )
    assert (place.mode, place.venue_id) == (Mode.venue, tokyo.id)
    assert checkin.status(session, tokyo)["came_instead_of_online"] == 1


def test_the_offline_list_holds_only_the_venues_people_and_online(world, ctx):
    _, session, matsue, tokyo, in_matsue, in_tokyo, online = _setup(world)
    names = {e["registration_id"] for e in checkin.offline_list(session, tokyo)}
    assert names == {in_tokyo.id, online.id}
    from app.checkin.queries import elsewhere_list

    elsewhere = elsewhere_list(session, tokyo)
    assert elsewhere == [
        {"hash": hash_secret(checkin.valid_ticket(in_matsue).secret), "venue_id": matsue.id}
    ]
    assert set(elsewhere[0]) == {"hash", "venue_id"}  # nobody's name


def test_a_one_venue_session_needs_no_venue_and_records_it(world, ctx):
    from tests.checkin.helpers import series_happening_now

    series = series_happening_now(world["org"], sessions=[("venue", 5, None)])
    r = registered(series, "a@example.jp")
    session = series.sessions[0]
    verdict = checkin.decide(session, staff_user(world), secret=checkin.valid_ticket(r).secret)
    db.session.commit()
    assert verdict.status == "ok" and verdict.checkin.venue_id == session.venues[0].id
    assert verdict.checkin.checked_in_at <= utcnow()


def test_a_venue_people_were_checked_in_at_is_not_removed(world, ctx):
    from app.checkin.receivers import _keep_a_venue_people_were_checked_in_at as keep

    _, session, matsue, tokyo, _, in_tokyo, _ = _setup(world)
    checkin.decide(session, staff_user(world), registration=in_tokyo, venue_id=tokyo.id)
    db.session.commit()
    keep(matsue)  # nobody was checked in there: check-ins do not hold it
    try:
        keep(tokyo)
    except ValidationFailed as exc:
        assert "東京会場" in str(exc.fields["venues"][0])
    else:
        raise AssertionError("a venue with check-ins was let go")
