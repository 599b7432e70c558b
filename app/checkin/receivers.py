"""Tickets follow registrations: issued when a place is confirmed, revoked on cancellation."""

from app.checkin.tickets import issue_ticket, new_ticket, revoke_tickets, ticket_attachments
from app.registration.models import RegistrationStatus
from app.registration.next_steps import needs_ticket
from app.registration.signals import mail_attachments, places_changed


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
