"""The organisers' page of a series' reminders: whether they are on, when they go out, and what
was sent (per session, kind and start time: how many, when). Organisers and owners only."""

from flask import Blueprint, g, render_template

from app.events import services as events
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.registration.models import ReminderKind
from app.registration.reminders import sent_reminders

bp = Blueprint("reminders", __name__)


@bp.route("/orgs/<int:org_id>/series/<int:series_id>/reminders")
@org_role_required(Role.organizer)
def series_reminders(org_id: int, series_id: int):
    series = events.get_series(series_id, org_id=org_id)
    return render_template(
        "manage/reminders.html",
        org=g.org,
        series=series,
        sent=sent_reminders(series),
        ReminderKind=ReminderKind,
    )
