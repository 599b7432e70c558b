"""Tickets: issuing and revoking them, who may see one (`ticket_for`), and their QR images
(qrcode: the payload is the ticket's secret, nothing else)."""

import io
import secrets
from typing import NamedTuple

import qrcode
from flask_babel import lazy_gettext as _l
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.services import record
from app.checkin.models import Ticket
from app.core.errors import NotFound
from app.core.types import utcnow
from app.extensions import db
from app.orgs.models import Role
from app.orgs.services import membership
from app.registration.models import Registration, RegistrationStatus
from app.registration.next_steps import needs_ticket


def valid_ticket(registration: Registration) -> Ticket | None:
    return db.session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.revoked_at.is_(None))
    )


def new_ticket(registration: Registration) -> Ticket:
    """A new ticket with a fresh secret, added to the transaction (the registration has no
    valid one: just made, or its old one revoked)."""
    ticket = Ticket(registration_id=registration.id, secret=secrets.token_urlsafe(20))
    db.session.add(ticket)
    return ticket


def issue_ticket(registration: Registration) -> Ticket:
    """The registration's valid ticket, created when it has none (idempotent). Flushes; the
    caller commits. Issued at the same moment elsewhere, the caller's transaction is rolled
    back and the other ticket returned."""
    ticket = valid_ticket(registration)
    if ticket:
        return ticket
    ticket = new_ticket(registration)
    try:
        db.session.flush()
    except IntegrityError:  # issued at the same moment elsewhere
        db.session.rollback()
        ticket = valid_ticket(registration)
    return ticket


def reissue_ticket(registration: Registration, actor=None) -> Ticket:
    """Revoke the current ticket (e.g. a leaked screenshot) and issue one with a new secret.
    Flushes; the caller commits."""
    revoke_tickets(registration)
    ticket = new_ticket(registration)
    record(
        "ticket.reissued",
        actor=actor,
        subject=registration.user,
        org=registration.series.org,
        registration_id=registration.id,
    )
    db.session.flush()
    return ticket


def revoke_tickets(registration: Registration) -> None:
    """Revoke the registration's valid tickets. Flushes; the caller commits."""
    for ticket in db.session.scalars(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.revoked_at.is_(None))
    ):
        ticket.revoked_at = utcnow()
    db.session.flush()


# --- who may see one ---------------------------------------------------------------------------

NO_CONFIRMED_PLACE = _l("There is no ticket: no place of this registration is confirmed.")
NO_TICKET_NEEDED = _l("No ticket is needed: you take part online.")


class Shown(NamedTuple):
    """What `ticket_for` answers: the ticket (None: every confirmed place is online, the person
    enters by the live room), and whether it was issued just now (the caller commits then)."""

    ticket: Ticket | None
    issued: bool = False


def may_see_ticket(registration: Registration, viewer: User) -> bool:
    """The registration's owner, and its organisation's organisers and owners. Not staff: the
    QR carries the secret, which the offline list keeps from them too; they check people in by
    name."""
    if registration.user_id == viewer.id:
        return True
    m = membership(viewer, registration.series.org_id)
    return m is not None and m.role.at_least(Role.organizer)


def ticket_for(registration: Registration | None, viewer: User) -> Shown:
    """The ticket `viewer` may see for `registration`, for the ticket page and the API alike.

    NotFound for a registration that does not exist, for anyone but its owner and the
    organisation's organisers and owners (staff included: a ticket that is not yours is not
    there), and for a registration without a confirmed place. A ticket is issued when the
    place is confirmed; one missing is mended here (flushed, `issued`: the caller commits), as
    the code shown must be the one the door knows."""
    if registration is None or not may_see_ticket(registration, viewer):
        raise NotFound()
    if registration.status is not RegistrationStatus.confirmed:
        raise NotFound(NO_CONFIRMED_PLACE)
    if not needs_ticket(registration):
        return Shown(None)
    ticket = valid_ticket(registration)
    if ticket is not None:
        return Shown(ticket)
    return Shown(issue_ticket(registration), issued=True)


# --- QR images ---------------------------------------------------------------------------------


def qr_png(secret: str, *, box_size: int = 10) -> bytes:
    """A PNG of the ticket's QR code, with the quiet zone scanners need."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(secret)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def ticket_attachments(ticket) -> list[tuple[str, bytes, str]]:
    """What a confirmation email carries for the ticket."""
    return [(f"kakawari-ticket-{ticket.registration_id}.png", qr_png(ticket.secret), "image/png")]
