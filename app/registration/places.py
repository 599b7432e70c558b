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


def promote_from_waitlist(
    session: Session, mode: Mode, now=None, venue_id: int | None = None
) -> list[Place]:
    """Confirm waiting people of one queue (a mode; for the venue, one venue), first in line
    first, while it has room.

    Must run inside capacity.locked() for this session.
    """
    now = now or utcnow()
    if session.is_cancelled:
        return []
    mode = Mode(mode)
    venue_id = venue_id if mode is Mode.venue else None
    confirmed = capacity.confirmed_counts([session.id]).get((session.id, mode, venue_id), 0)
    promoted = []
    for place in capacity.waitlist(session.id, mode, venue_id):
        if not capacity.has_room(session, mode, confirmed, venue_id):
            break
        place.status = PlaceStatus.confirmed
        place.confirmed_at = now
        confirmed += 1
        refresh_status(place.registration)
        promoted.append(place)
    return promoted


def promote_freed(freed, now=None) -> list[Place]:
    """The waitlists of the queues places were freed in ({(session, mode, venue_id)}), in a
    fixed order (session, then queue): under the lock of those sessions."""
    promoted = []
    for session, mode, venue_id in sorted(freed, key=lambda x: (x[0].id, x[1], x[2] or 0)):
        promoted += promote_from_waitlist(session, mode, now, venue_id)
    return promoted


def place_label(place: Place):
    """How a place is held, for a message: 「オンライン」, 「会場」 or the venue's name."""
    if place.mode is Mode.venue and place.venue is not None and len(place.session.venues) > 1:
        return place.venue.name
    return mode_label(place.mode)


def announce(registration: Registration, kind: str, promoted=(), **extra) -> None:
    """Tell the listeners (tickets, emails) of a change once it has committed: queued with
    app.core.uow.after_commit, never heard when it rolls back. What they write (a ticket, the
    queued mails) is their own unit of work, committed after them; one that fails is logged
    and rolled back, and the change stands."""
    promoted = list(promoted)
    places_changing.send(registration, kind=kind, promoted=promoted, **extra)
    after_commit(lambda: places_changed.send(registration, kind=kind, promoted=promoted, **extra))
