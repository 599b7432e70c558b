"""Tickets follow registrations: issued when a place is confirmed, revoked on cancellation.
The participant list of a series held at several venues says where each person is."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from app.checkin.models import CheckIn
from app.checkin.tickets import issue_ticket, new_ticket, revoke_tickets, ticket_attachments
from app.core.errors import ValidationFailed
from app.events.models import Mode, SessionVenue
from app.events.signals import venue_removing
from app.extensions import db
from app.registration.models import Place, Registration, RegistrationStatus
from app.registration.next_steps import needs_ticket
from app.registration.signals import export_columns, mail_attachments, places_changed


@places_changed.connect
def _tickets_follow_registrations(registration, kind, promoted, **_extra):
    """Runs after the change committed; the sender commits what it adds."""
    if kind == "registered":  # a new registration has no ticket yet: no need to look
        if registration.status is RegistrationStatus.confirmed:
            new_ticket(registration)
        return
    registrations = {registration.id: registration}
    for place in promoted:
        registrations[place.registration_id] = place.registration
    for reg in registrations.values():
        if reg.status is RegistrationStatus.confirmed:
            issue_ticket(reg)
        elif reg.status is RegistrationStatus.cancelled:
            revoke_tickets(reg)


@mail_attachments.connect
def _ticket_in_emails(registration):
    """Emails about a registration with a confirmed venue place carry its ticket's QR code
    (an all-online registration has no door to show it at)."""
    if registration.status is not RegistrationStatus.confirmed or not needs_ticket(registration):
        return []
    return ticket_attachments(issue_ticket(registration))


class VenueColumn:
    """The participant list's column per session of a series held at several venues
    (サテライト会場): the venue of the person's place, and where they were checked in when that
    was another venue (let in there with 「この会場で受付」)."""

    @staticmethod
    def header(session) -> str:
        return _("%(session)s: venue", session=session.title)

    @staticmethod
    def values(series, registrations) -> dict:
        ids = [r.id for r in registrations]
        if not ids:
            return {}
        names = {v.id: v.name for s in series.sessions for v in s.venues}
        # a venue place without a venue is at its session's first venue
        first = {s.id: s.venues[0].id for s in series.sessions if s.venues}
        rows = db.session.execute(
            select(Place.session_id, Registration.user_id, Place.venue_id, CheckIn.venue_id)
            .join(Registration, Registration.id == Place.registration_id)
            .outerjoin(
                CheckIn,
                and_(
                    CheckIn.registration_id == Place.registration_id,
                    CheckIn.session_id == Place.session_id,
                    CheckIn.standing,
                ),
            )
            .where(Place.registration_id.in_(ids), Place.mode == Mode.venue)
        )
        values = {}
        for session_id, user_id, venue_id, checked_in_at in rows:
            venue_id = venue_id or first.get(session_id)
            value = names.get(venue_id, "")
            if checked_in_at is not None and checked_in_at != venue_id:
                value = _("%(venue)s (checked in at %(at)s)", venue=value, at=names[checked_in_at])
            values[(session_id, user_id)] = value
        return values


@export_columns.connect
def _venue_column(series, **_extra):
    """Only for a series with a session held at several venues: the others' lists are as
    they were."""
    if any(Mode.venue in s.modes and len(s.venues) > 1 for s in series.sessions):
        return VenueColumn
    return None


@venue_removing.connect
def _keep_a_venue_people_were_checked_in_at(venue: SessionVenue) -> None:
    """An organiser removing a venue: refused once people were checked in there (who came where
    is kept)."""
    came = db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.venue_id == venue.id)
    )
    if came:
        raise ValidationFailed(
            fields={
                "venues": [
                    _l(
                        "%(v)s cannot be removed: %(n)d people were checked in there.",
                        v=venue.name,
                        n=came,
                    )
                ]
            }
        )
