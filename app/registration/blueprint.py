"""The participant pages' blueprint ("registration") and what all its templates are given.
Its routes are in browse_views (series, sessions, calendars) and booking_views (registering
and the person's registrations); app.registration.views brings them together."""

from flask import Blueprint

from app.registration import capacity, next_steps
from app.registration.forms import FORMAT_LABELS, MODE_LABELS

bp = Blueprint("registration", __name__)


@bp.context_processor
def _labels():
    return {
        "MODE_LABELS": MODE_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "availability_of": capacity.availability,
    }


@bp.app_context_processor
def _next_steps():
    """The buttons of next_actions (templates/registration/_macros.html), on any area's page."""
    return {"next_step": next_steps.next_step}
