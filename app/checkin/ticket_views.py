"""The participant's ticket: a QR for every session of the registration, printable."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.checkin.models import Ticket
from app.checkin.queries import registration_with_places
from app.checkin.tickets import NO_TICKET_NEEDED, qr_png, reissue_ticket, ticket_for
from app.core.access import login_required
from app.core.errors import NotFound
from app.core.forms import ActionForm
from app.events.models import Mode
from app.extensions import db
from app.registration.capacity import waitlist_positions
from app.registration.forms import MODE_LABELS
from app.registration.models import PlaceStatus, Registration

bp = Blueprint("tickets", __name__)


def _shown(registration_id: int) -> tuple[Registration, Ticket | None]:
    """The registration and the ticket its viewer may see (tickets.ticket_for: NotFound for
    anyone but its owner and the organisation's organisers). A GET commits only when a missing
    ticket was mended: the code shown must be the one the door knows."""
    registration = registration_with_places(registration_id)
    shown = ticket_for(registration, current_user)
    if shown.issued:
        db.session.commit()
    return registration, shown.ticket


def _needed_ticket(registration_id: int) -> tuple[Registration, Ticket]:
    """As _shown(), but none for a registration without a confirmed venue place (online
    participants enter by the live room)."""
    registration, ticket = _shown(registration_id)
    if ticket is None:
        raise NotFound(NO_TICKET_NEEDED)
    return registration, ticket


@bp.route("/registrations/<int:registration_id>/ticket")
@login_required
def ticket(registration_id: int):
    registration, shown = _shown(registration_id)
    sessions = sorted(
        (p for p in registration.places if p.status is not PlaceStatus.cancelled),
        key=lambda p: p.session.starts_at,
    )
    if shown is None:  # all online: the room, not a QR code
        return render_template(
            "tickets/no_ticket.html",
            registration=registration,
            places=sessions,
            positions=waitlist_positions(sessions),
            MODE_LABELS=MODE_LABELS,
        )
    # The code is for the venue's door; online places are reached by their room's button.
    return render_template(
        "tickets/ticket.html",
        registration=registration,
        ticket=shown,
        places=[p for p in sessions if p.mode is Mode.venue],
        online=[p for p in sessions if p.mode is Mode.online],
        positions=waitlist_positions(sessions),
        MODE_LABELS=MODE_LABELS,
        Mode=Mode,
        action_form=ActionForm(),
        is_owner=registration.user_id == current_user.id,
    )


@bp.route("/registrations/<int:registration_id>/ticket.png")
@login_required
def ticket_png(registration_id: int):
    _registration, ticket = _needed_ticket(registration_id)
    response = Response(qr_png(ticket.secret), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    if request.args.get("download"):
        name = f"kakawari-ticket-{registration_id}.png"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/registrations/<int:registration_id>/ticket/reissue", methods=["POST"])
@login_required
def reissue(registration_id: int):
    """A new secret (the old QR stops working), e.g. after sharing a screenshot by mistake."""
    registration, _ticket = _needed_ticket(registration_id)
    ActionForm().validate_on_submit()
    reissue_ticket(registration, actor=current_user)
    db.session.commit()
    flash(_("A new ticket was issued. The old QR code no longer works."), "success")
    return redirect(url_for("tickets.ticket", registration_id=registration_id))
