"""Cancelling places (by the person, or all of a deleted account's) and giving each freed place
to the first person waiting for it; a raised capacity does the same for its new places."""

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.core.errors import SessionStarted
from app.core.types import utcnow
from app.events.models import Session
from app.events.signals import session_changed
from app.extensions import db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration
from app.registration.places import (
    Outcome,
    announce,
    own_place,
    promote_freed,
    promote_from_waitlist,
    refresh_status,
)
from app.registration.unit import joins_unit_of_work


@joins_unit_of_work
def cancel(
    registration: Registration, *, session_id: int | None = None, actor=None, now=None
) -> Outcome:
    """Cancel one session's place or the whole registration; freed places are passed on."""
    now = now or utcnow()
    if session_id is not None:
        targets = [own_place(registration, session_id)]
        if targets[0].session.starts_at <= now:
            raise SessionStarted()
    else:  # the whole registration: places of sessions already held stay, as history
        targets = [
            p
            for p in registration.places
            if p.status is not PlaceStatus.cancelled and p.session.starts_at > now
        ]
    wanted = {p.id for p in targets}
    outcome = Outcome(registration=registration)
    reg_id = registration.id
    with capacity.locked([p.session_id for p in targets]):
        registration = db.session.get(Registration, reg_id)
        freed = set()
        for place in registration.places:
            if place.id not in wanted or place.status is PlaceStatus.cancelled:
                continue
            if place.status is PlaceStatus.confirmed:
                freed.add((place.session, *capacity.queue_of(place)))
            place.status = PlaceStatus.cancelled
            place.cancelled_at = now
        refresh_status(registration)
        outcome.promoted += promote_freed(freed, now)
        record(
            "registration.cancelled",
            actor=actor,
            subject=registration.user,
            org=registration.series.org,
            registration_id=reg_id,
            session_id=session_id,
        )
    outcome.registration = registration
    announce(registration, "cancelled", outcome.promoted)
    return outcome


def release_places_of(user: User, now=None) -> list[Outcome]:
    """A deleted account's places in sessions not started yet are cancelled, each freed place
    going to the first person waiting for it; places of sessions held stay, as history. In the
    caller's transaction, under the capacity lock (capacity.hold); the caller commits, then
    announces each Outcome (once the caller commits)."""
    now = now or utcnow()
    upcoming = (
        select(Place)
        .join(Place.registration)
        .join(Place.session)
        .where(
            Registration.user_id == user.id,
            Place.status != PlaceStatus.cancelled,
            Session.starts_at > now,
        )
        .order_by(Place.id)
    )
    session_ids = db.session.scalars(upcoming.with_only_columns(Place.session_id)).all()
    if not session_ids:
        return []
    capacity.hold(session_ids)
    by_registration: dict[int, list[Place]] = {}
    for place in db.session.scalars(upcoming.execution_options(populate_existing=True)):
        by_registration.setdefault(place.registration_id, []).append(place)
    outcomes = []
    for places in by_registration.values():
        registration = places[0].registration
        freed = {
            (p.session, *capacity.queue_of(p)) for p in places if p.status is PlaceStatus.confirmed
        }
        for place in places:
            place.status = PlaceStatus.cancelled
            place.cancelled_at = now
        refresh_status(registration)
        db.session.flush()
        outcome = Outcome(registration=registration)
        outcome.promoted += promote_freed(freed, now)
        record(
            "registration.cancelled",
            actor=user,
            subject=user,
            org_id=registration.series.org_id,
            registration_id=registration.id,
            reason="account_deleted",
            promoted=len(outcome.promoted),
        )
        outcomes.append(outcome)
    db.session.flush()
    return outcomes


@joins_unit_of_work
def capacity_changed(session: Session, now=None) -> list[Place]:
    """After an organiser raises a capacity: give the new places to people waiting."""
    promoted = []
    with capacity.locked([session.id]):
        session = db.session.get(Session, session.id)
        for mode, venue_id in capacity.queues(session):
            promoted += promote_from_waitlist(session, mode, now, venue_id)
    for place in promoted:
        announce(place.registration, "promoted", [place])
    return promoted


@session_changed.connect
def _on_session_changed(session: Session, changes: set[str]):
    """A raised capacity gives its new places to the people waiting, at once: heard after the
    change committed, this is its own unit of work (capacity_changed, called alone)."""
    if "capacity" in changes and not session.is_cancelled:
        capacity_changed(session)
