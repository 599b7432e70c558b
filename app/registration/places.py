"""What every change of places shares: the registration's status derived from its places, the
waitlist moving up when a place is freed, and telling the listeners once a change committed."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.core.errors import NotFound
from app.core.types import utcnow
from app.core.uow import after_commit
from app.events.models import Mode, Session
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.signals import places_changed, places_changing


@dataclass
class Outcome:
    """What a change did, for the notifications sent after it committed."""

    registration: Registration | None = None
    promoted: list[Place] = field(default_factory=list)


def registration_status(places) -> RegistrationStatus:
    statuses = {p.status for p in places}
    for status in (PlaceStatus.confirmed, PlaceStatus.applied, PlaceStatus.waitlisted):
        if status in statuses:
            return RegistrationStatus(status.value)
    return RegistrationStatus.cancelled


def refresh_status(registration: Registration) -> None:
    """The one transition of a registration's status: derived from its places. Only what
    changes is set: an unchanged registration is not made dirty (no flush to run for it)."""
    status = registration_status(registration.places)
    if registration.status is not status:
        registration.status = status
    if status is RegistrationStatus.cancelled:
        if registration.cancelled_at is None:
            registration.cancelled_at = utcnow()
    elif registration.cancelled_at is not None:
        registration.cancelled_at = None  # a session booked again after cancelling them all


def mode_label(mode: Mode):
    return {Mode.venue: _l("venue"), Mode.online: _l("online")}[Mode(mode)]


def own_place(registration: Registration, session_id: int) -> Place:
    place = registration.place_for(session_id)
    if place is None or place.status is PlaceStatus.cancelled:
        raise NotFound()
    return place


def promote_from_waitlist(session: Session, mode: Mode, now=None) -> list[Place]:
    """Confirm waiting people, first in line first, while the mode has room.

    Must run inside capacity.locked() for this session.
    """
    now = now or utcnow()
    if session.is_cancelled:
        return []
    confirmed = capacity.confirmed_counts([session.id]).get((session.id, mode), 0)
    promoted = []
    for place in capacity.waitlist(session.id, mode):
        if not capacity.has_room(session, mode, confirmed):
            break
        place.status = PlaceStatus.confirmed
        place.confirmed_at = now
        confirmed += 1
        refresh_status(place.registration)
        promoted.append(place)
    return promoted


def announce(registration: Registration, kind: str, promoted=(), **extra) -> None:
    """Tell the listeners (tickets, emails) of a change once it has committed: queued with
    app.core.uow.after_commit, never heard when it rolls back. What they write (a ticket, the
    queued mails) is their own unit of work, committed after them; one that fails is logged
    and rolled back, and the change stands."""
    promoted = list(promoted)
    places_changing.send(registration, kind=kind, promoted=promoted, **extra)
    after_commit(lambda: places_changed.send(registration, kind=kind, promoted=promoted, **extra))
