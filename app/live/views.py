"""The live room page: the stream and the room for people admitted, and for everyone else a
page that says why not and what to do about it. The room itself talks over Socket.IO
(app/live/socket.py); this page only decides who sees the stream URL."""

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import login_required
from app.core.errors import NotRegisteredOnline, RoomClosed
from app.core.types import utcnow
from app.live import payloads, services
from app.registration.models import PlaceStatus
from app.registration.services import active_registration

bp = Blueprint("live", __name__)

NO_STORE = {"Cache-Control": "private, no-store"}


@bp.route("/sessions/<int:session_id>/live")
@login_required
def room(session_id: int):
    session = services.get_room_session(session_id)
    user = current_user._get_current_object()
    try:
        viewer = services.admit(session, user)
    except (NotRegisteredOnline, RoomClosed) as exc:
        registration = active_registration(session.series_id, user.id)
        return render_template(
            "live/not_allowed.html",
            session=session,
            series=session.series,
            why=_why_not(session, registration, exc),
            registration=registration,
            window=services.room_window(session),
            message=exc.message,
        ), exc.status
    # The stream URL appears on this page only: keep it out of shared caches and history.
    return render_template(
        "live/room.html",
        session=session,
        series=session.series,
        viewer=viewer,
        stream=payloads.stream_info(session.stream_url),
        strings=_client_strings(),
    ), NO_STORE


def _why_not(session, registration, exc) -> str:
    """Which explanation the page gives; each one says what the person can do next."""
    closes = services.room_window(session)[1]
    if session.is_cancelled:
        return "cancelled"
    if utcnow() > closes:  # nothing left to register or switch for
        return "over"
    if isinstance(exc, RoomClosed):
        return "not_open_yet"
    if registration is None:
        return "not_registered"
    place = registration.place_for(session.id)
    if place is None or place.status is PlaceStatus.cancelled:
        return "not_in_session"
    if place.status is PlaceStatus.waitlisted:
        return "waitlisted"
    if place.status is PlaceStatus.applied:
        return "lottery"
    return "venue"


def _client_strings() -> dict:
    """Words that static/js/live.js shows; translated here so the script holds no language."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("Offline"),
        "send_failed": _("Could not send. Check your connection."),
        "muted": _("An organiser has muted you in this room."),
        "muted_user": _("Muted."),
        "unmuted_user": _("Unmuted."),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "answered": _("Answered"),
        "mark_answered": _("Mark answered"),
        "mark_unanswered": _("Mark unanswered"),
        "poll_open": _("Accepting answers"),
        "poll_closed": _("Closed to answers"),
        "poll_draft": _("Draft"),
        "choose_one": _("Choose one"),
        "choose_any": _("Choose any number"),
        "voters": _("%(n)s answered", n="{n}"),
        "votes_label": _("Upvote (%(n)s)", n="{n}"),
        "people_here": _("%(n)s people in the room", n="{n}"),
        "more_people": _("and %(n)s more", n="{n}"),
        "thanks": _("Thank you for answering."),
        "you": _("(you)"),
        "anonymous_to_others": _("anonymous to other participants"),
        "hidden_name": _("name hidden from other participants"),
        "confirm_delete": _("Delete this message?"),
        "confirm_hide": _("Hide this question from everyone?"),
        "confirm_mute": _("Mute %(name)s in this room?", name="{name}"),
    }
