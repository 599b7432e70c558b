"""The rules of the door, without the database: when a session takes check-ins, who works it,
and why a person may not be admitted (`reject_reason`). The writes are in checkin.services.

A standing check-in (one that counts) is `CheckIn.standing` (checkin.models)."""

import enum
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.errors import OutsideCheckinHours, ValidationFailed
from app.core.types import utcnow
from app.events.models import Mode, Session, SessionFormat, SessionVenue
from app.orgs.models import Role
from app.registration.models import Place, PlaceStatus, Registration

#: a scan time this far in the future is a wrong device clock: use the server's time instead
CLOCK_SKEW = timedelta(minutes=5)


class Reason(enum.StrEnum):
    unreadable = "unreadable"
    unknown_ticket = "unknown_ticket"
    other_org = "other_org"
    revoked = "revoked"
    cancelled = "cancelled"
    not_registered = "not_registered"
    other_series = "other_series"
    waitlisted = "waitlisted"
    not_confirmed = "not_confirmed"
    session_cancelled = "session_cancelled"
    too_early = "too_early"
    closed = "closed"
    no_venue = "no_venue"
    wrong_venue = "wrong_venue"
    nonce_reused = "nonce_reused"
    synced_too_late = "synced_too_late"


REASON_MESSAGES = {
    Reason.unreadable: _l("This is not a Kakawari ticket."),
    Reason.unknown_ticket: _l("Unknown ticket."),
    Reason.other_org: _l("This ticket is not for this event."),
    Reason.revoked: _l("This ticket was replaced by a newer one."),
    Reason.cancelled: _l("This registration was cancelled."),
    Reason.not_registered: _l("Not registered for this session."),
    Reason.other_series: _l("This ticket is for another series."),
    Reason.waitlisted: _l("Still on the waitlist for this session."),
    Reason.not_confirmed: _l("The lottery for this session has not been drawn yet."),
    Reason.session_cancelled: _l("This session has been cancelled."),
    Reason.too_early: _l("Check-in has not opened yet."),
    Reason.closed: _l("Check-in has closed: the session is over."),
    Reason.no_venue: _l("This session is online only: there is no venue to check in to."),
    # the verdict names the venue (Verdict.message); this is what a page shows without it
    Reason.wrong_venue: _l("This ticket is for another venue of this session."),
    Reason.nonce_reused: _l(
        "This scan's key was already used for another scan. Scan the ticket again."
    ),
    Reason.synced_too_late: _l(
        "This offline scan reached the server too long after the session ended: not recorded."
    ),
}


# --- when ---------------------------------------------------------------------------------------


def checkin_window(session: Session) -> tuple[datetime, datetime]:
    """When scans are accepted (what the scanner shows too): from the series' opening minutes
    before the session starts until it ends."""
    opens = session.starts_at - timedelta(minutes=session.series.checkin_opens_minutes)
    return opens, session.ends_at


def has_venue(session: Session) -> bool:
    """Only a session held at a venue (venue or hybrid) takes check-ins."""
    return session.format is not SessionFormat.online


def sync_deadline(session: Session) -> datetime:
    """Offline scans of a session reach the server by then (CHECKIN_SYNC_GRACE_HOURS after its
    check-in closed): a phone offline at the venue syncs within hours, not months later."""
    hours = current_app.config.get("CHECKIN_SYNC_GRACE_HOURS", 12)
    return checkin_window(session)[1] + timedelta(hours=hours)


def door_window(session: Session) -> tuple[datetime, datetime]:
    """When staff (role staff) may work a session's check-in: from CHECKIN_STAFF_LEAD_HOURS
    before check-in opens (to download the offline list) until the sync deadline."""
    hours = current_app.config.get("CHECKIN_STAFF_LEAD_HOURS", 24)
    return checkin_window(session)[0] - timedelta(hours=hours), sync_deadline(session)


def at_the_door(session: Session, now: datetime | None = None) -> bool:
    """The session's door window (above) holds `now`."""
    opens, closes = door_window(session)
    return opens <= (now or utcnow()) <= closes


def require_at_the_door(session: Session, role: Role, now: datetime | None = None) -> None:
    """Staff (role staff) see a session's check-in only in its door window (door_window()):
    names at the door, not the organisation's lists. Organisers and owners always may."""
    if not role.at_least(Role.organizer) and not at_the_door(session, now):
        raise OutsideCheckinHours()


def door_venue(session: Session, venue_id=None) -> SessionVenue:
    """The venue a scanner works at (サテライト会場): the chosen one of the session's venues, or
    its only venue when none was chosen. ValidationFailed (`venue_id`) when a session of several
    venues gets no choice, or a venue that is not one of its own."""
    if venue_id is None:
        if len(session.venues) == 1:
            return session.venues[0]
        message = _l("Choose the venue you are checking people in at.")
    else:
        usable = isinstance(venue_id, int) and not isinstance(venue_id, bool)
        venue = session.venue(venue_id) if usable else None
        if venue is not None:
            return venue
        message = _l("That is not one of this session's venues.")
    raise ValidationFailed(fields={"venue_id": [message]})


def scan_time(scanned_at: datetime | None, now: datetime) -> datetime:
    """The time a scan is decided as: the device's, unless its clock is ahead of the server's."""
    return scanned_at if scanned_at and scanned_at <= now + CLOCK_SKEW else now


# --- whether -----------------------------------------------------------------------------------


def place_reason(
    session: Session, registration: Registration, place: Place | None
) -> Reason | None:
    """Why the registration's place (or its lack of one) does not admit them to the session."""
    if place is None:
        if registration.series_id != session.series_id:
            return Reason.other_series
        return Reason.not_registered
    return {
        PlaceStatus.cancelled: Reason.cancelled,
        PlaceStatus.waitlisted: Reason.waitlisted,
        PlaceStatus.applied: Reason.not_confirmed,
    }.get(place.status)


def venue_reason(place: Place | None, venue: SessionVenue | None) -> Reason | None:
    """A confirmed venue place at another venue of the session than the scanner's `venue`
    (サテライト会場): `wrong_venue`. People registered online may come to any venue (they are
    moved there); a venue place without a venue goes anywhere."""
    if place is None or venue is None or place.mode is not Mode.venue:
        return None
    if place.venue_id is not None and place.venue_id != venue.id:
        return Reason.wrong_venue
    return None


#: what staff may let in anyway with one tap, logged (pretix's override): only a ticket for
#: another venue of the same session; every other reason stands
OVERRIDABLE = frozenset({Reason.wrong_venue})


def reject_reason(
    session: Session,
    registration: Registration,
    place: Place | None,
    at: datetime,
    *,
    offline: bool = False,
    now: datetime | None = None,
    venue: SessionVenue | None = None,
) -> Reason | None:
    """Why `registration` (holding `place` in `session`, or none) may not be admitted to the
    session at `at`; None when they may. Reads only what it is given (and the app's config):
    no query, no write. The ticket itself (its text, revoked or not) is checked before, when it
    is looked up; whether the person is in already is decided after, by the database.

    In this order: a session without a venue, a registration of another organisation, a
    cancelled session, outside the check-in window, an offline scan (`offline`) arriving after
    the session's sync deadline (`now`, the server's time), then the place: none (another
    series or not registered), cancelled, waitlisted or not yet drawn, and last a confirmed
    place at another venue of the session than the scanner's `venue` (venue_reason)."""
    if not has_venue(session):
        return Reason.no_venue
    if registration.series.org_id != session.series.org_id:
        return Reason.other_org
    if session.is_cancelled:
        return Reason.session_cancelled
    opens, closes = checkin_window(session)
    if at < opens:
        return Reason.too_early
    if at > closes:
        return Reason.closed
    if offline and (now or utcnow()) > sync_deadline(session):
        return Reason.synced_too_late
    return place_reason(session, registration, place) or venue_reason(place, venue)
