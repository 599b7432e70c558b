"""The participant's ticket: a QR for every session of the registration, printable."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.checkin import services
from app.checkin.tickets import qr_png
from app.core.access import login_required
from app.core.errors import NotFound
from app.core.forms import ActionForm
from app.events.models import Mode
from app.extensions import db
from app.orgs.models import Role
from app.orgs.services import membership
from app.registration.capacity import waitlist_positions
from app.registration.forms import MODE_LABELS
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.next_steps import needs_ticket

bp = Blueprint("tickets", __name__)


def _registration_for_viewer(registration_id: int) -> Registration:
    """The confirmed registration, for its owner or the organisation's organisers."""
    registration = db.session.get(
        Registration,
        registration_id,
        options=[selectinload(Registration.places).selectinload(Place.session)],
    )
    if registration is None:
        raise NotFound()
    if registration.user_id != current_user.id:
        m = membership(current_user, registration.series.org_id)
        if m is None or not m.role.at_least(Role.organizer):
            raise NotFound()
    if registration.status is not RegistrationStatus.confirmed:
        raise NotFound(_("There is no ticket: no place of this registration is confirmed."))
    return registration


def _ticket_for_viewer(registration_id: int):
    """The registration and its ticket; none for a registration without a confirmed venue
    place (online participants enter by the live room)."""
    registration = _registration_for_viewer(registration_id)
    if not needs_ticket(registration):
        raise NotFound(_("No ticket is needed: you take part online."))
    return registration, _shown_ticket(registration)


def _shown_ticket(registration):
    """The registration's ticket. It is issued when its place is confirmed; a GET makes (and
    commits) one only to mend a missing one: the code shown must be the one the door knows."""
    ticket = services.valid_ticket(registration)
    if ticket is None:
        ticket = services.issue_ticket(registration)
        db.session.commit()
    return ticket


@bp.route("/registrations/<int:registration_id>/ticket")
@login_required
def ticket(registration_id: int):
    registration = _registration_for_viewer(registration_id)
    sessions = sorted(
        (p for p in registration.places if p.status is not PlaceStatus.cancelled),
        key=lambda p: p.session.starts_at,
    )
    if not needs_ticket(registration):  # all online: the room, not a QR code
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
        ticket=_shown_ticket(registration),
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
    _registration, ticket = _ticket_for_viewer(registration_id)
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
    registration, _ticket = _ticket_for_viewer(registration_id)
    ActionForm().validate_on_submit()
    services.reissue_ticket(registration, actor=current_user)
    db.session.commit()
    flash(_("A new ticket was issued. The old QR code no longer works."), "success")
    return redirect(url_for("tickets.ticket", registration_id=registration_id))
