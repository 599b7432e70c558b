"""Tickets follow registrations: issued when a place is confirmed, revoked on cancellation."""

from app.checkin.services import issue_ticket, revoke_tickets
from app.registration.models import RegistrationStatus
from app.registration.signals import places_changed


@places_changed.connect
def _tickets_follow_registrations(registration, kind, promoted):
    registrations = {registration.id: registration}
    for place in promoted:
        registrations[place.registration_id] = place.registration
    for reg in registrations.values():
        if reg.status is RegistrationStatus.confirmed:
            issue_ticket(reg)
        elif reg.status is RegistrationStatus.cancelled:
            revoke_tickets(reg)
