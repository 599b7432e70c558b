"""Moving a place between venue and online: the person's own switch (within the capacity of the
other mode), and the moves a check-in makes (an online participant let in at the venue, and
that undone), which ignore capacity: the person is, or was, in the room already."""

from flask_babel import lazy_gettext as _l

from app.audit.services import record
from app.core.errors import SessionFull, SessionStarted, ValidationFailed
from app.core.types import utcnow
from app.events.models import Mode
from app.extensions import db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration
from app.registration.places import (
    Outcome,
    announce,
    mode_label,
    own_place,
    promote_from_waitlist,
)
from app.registration.unit import joins_unit_of_work
from app.registration.venues import venue_for


@joins_unit_of_work
def switch_mode(
    registration: Registration, session_id: int, new_mode, *, venue_id=None, now=None
) -> Outcome:
    """Move a place to another queue: venue ↔ online, or to another venue of the session
    (`venue_id`; a one-venue session needs none). A confirmed place moves when the other queue
    has room (the old place goes to the first person waiting for it); a waiting place simply
    queues there, last. Under the session's lock."""
    now = now or utcnow()
    try:
        new_mode = Mode(new_mode)
    except ValueError:
        raise ValidationFailed(fields={"mode": [_l("Choose venue or online.")]}) from None
    place = own_place(registration, session_id)
    if place.session.starts_at <= now:
        raise SessionStarted()
    if new_mode not in place.session.modes:
        raise ValidationFailed(fields={"mode": [_l("This session is not held that way.")]})
    if new_mode is Mode.venue and venue_id in (None, "") and place.mode is Mode.venue:
        return Outcome(registration=registration)  # "at the venue" already, wherever
    target = (new_mode, venue_for(place.session, new_mode, venue_id))
    if target == capacity.queue_of(place):
        return Outcome(registration=registration)
    outcome = Outcome(registration=registration)
    place_id = place.id
    with capacity.locked([session_id]):
        place = db.session.get(Place, place_id)
        session, left = place.session, capacity.queue_of(place)
        if place.status is PlaceStatus.confirmed:
            taken = capacity.confirmed_counts([session_id]).get((session_id, *target), 0)
            if not capacity.has_room(session, new_mode, taken, target[1]):
                where = session.venue(target[1]).name if target[1] else mode_label(new_mode)
                raise SessionFull(_l("There is no room %(m)s for this session.", m=where))
            place.mode, place.venue_id = target
            db.session.flush()
            outcome.promoted = promote_from_waitlist(session, left[0], now, left[1])
        else:
            place.mode, place.venue_id = target  # waiting or applied: last in the other queue
            place.queue_key = capacity.next_queue_key(session_id)
            db.session.flush()
            outcome.promoted = promote_from_waitlist(session, new_mode, now, target[1])
        db.session.expire(place, ["venue"])
        record(
            "registration.mode_switched",
            subject=registration.user,
            org=registration.series.org,
            registration_id=registration.id,
            session_id=session_id,
            old=left[0].value,
            new=new_mode.value,
            old_venue=left[1],
            new_venue=target[1],
        )
    outcome.registration = place.registration
    announce(place.registration, "mode_switched", outcome.promoted)
    return outcome


def arrived_at_venue(
    registration: Registration,
    session_id: int,
    now=None,
    *,
    within: bool = False,
    venue_id: int | None = None,
) -> Outcome:
    """Someone registered online came to the venue (`venue_id`, or the session's first) and
    was let in: their place becomes a place there (even beyond its capacity: they are in the
    room) and their online place goes to the first person waiting online. `within`: in the
    caller's transaction, which has written already (the check-in); see _move_held_place."""
    place_id = own_place(registration, session_id).id
    return _move_held_place(
        registration,
        place_id,
        session_id,
        Mode.venue,
        "registration.arrived_at_venue",
        now,
        within=within,
        venue_id=venue_id,
    )


def undo_arrival(
    registration: Registration, session_id: int, now=None, *, within: bool = False
) -> Outcome:
    """A check-in that moved an online place to the venue was undone (a wrong tap): the place is
    online again, even beyond the online capacity (the person held it before the mistake), and
    the venue place it leaves goes to the first person waiting for the venue. `within`: in the
    caller's transaction (the undone check-in), see _move_held_place."""
    held = registration.place_for(session_id)
    if held is None:
        return Outcome(registration=registration)
    return _move_held_place(
        registration,
        held.id,
        session_id,
        Mode.online,
        "registration.arrival_undone",
        now,
        within=within,
    )


def _move_held_place(
    registration: Registration,
    place_id: int,
    session_id: int,
    to: Mode,
    event: str,
    now=None,
    *,
    within: bool = False,
    venue_id: int | None = None,
) -> Outcome:
    """Move a held place to mode `to` whatever that mode's capacity (the person is, or was,
    in it already) and give the place it leaves to the first person waiting for that mode;
    under the session's lock. Nothing happens to a cancelled place, one already in `to`, or
    when the session has no `to`.

    `within`: the lock is taken in the caller's unit of work as it stands (capacity.hold: it
    has written already, nothing loaded is read again); otherwise capacity.locked. Either way
    the edge commits once and the listeners hear of the move after that commit."""
    now = now or utcnow()
    outcome = Outcome(registration=registration)
    if within:
        capacity.hold([session_id])
        place = _move_place(place_id, session_id, (to, venue_id), event, now, outcome)
        if place is not None:
            announce(place.registration, "switched", outcome.promoted)
        return outcome
    with capacity.locked([session_id]):
        place = _move_place(place_id, session_id, (to, venue_id), event, now, outcome)
    if place is not None:
        announce(place.registration, "switched", outcome.promoted)
    return outcome


def _move_place(place_id, session_id, to, event: str, now, outcome: Outcome):
    """The move itself, under the lock; the place moved, or None when there was nothing to do.
    `to`: (mode, venue_id); a venue move without a venue goes to the session's first venue,
    and a venue place stays at its venue then."""
    place = db.session.get(Place, place_id, populate_existing=True)
    mode, venue_id = to
    session = place.session
    if place.status is PlaceStatus.cancelled or mode not in session.modes:
        return None
    if mode is Mode.venue:
        if venue_id is None or session.venue(venue_id) is None:
            if place.mode is Mode.venue:
                return None
            venue_id = session.venues[0].id if session.venues else None
    else:
        venue_id = None
    left = capacity.queue_of(place)
    if left == (mode, venue_id):
        return None
    place.mode, place.venue_id = mode, venue_id
    db.session.flush()
    outcome.promoted = promote_from_waitlist(session, left[0], now, left[1])
    record(
        event,
        subject=place.registration.user,
        org=session.series.org,
        registration_id=place.registration_id,
        session_id=session_id,
    )
    return place
