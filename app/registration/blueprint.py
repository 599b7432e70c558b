"""The participant pages' blueprint ("registration") and what all its templates are given.
Its routes are in browse_views (series, sessions, calendars) and booking_views (registering
and the person's registrations); app.registration.views brings them together."""

from flask import Blueprint

from app.events.themes import theme_label
from app.registration import capacity, next_steps, venues
from app.registration.forms import FORMAT_LABELS, MODE_LABELS, option_label

bp = Blueprint("registration", __name__)


@bp.context_processor
def _labels():
    return {
        "MODE_LABELS": MODE_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "availability_of": capacity.availability,
        "choice_infos": venues.choice_infos,
        "place_options": venues.place_options,
        "place_choice": venues.place_choice,
        "option_label": option_label,
        "theme_label": theme_label,
    }


@bp.app_context_processor
def _next_steps():
    """The buttons of next_actions (templates/registration/_macros.html), on any area's page,
    and whether a session has several venues (a place then names its venue)."""
    return {"next_step": next_steps.next_step, "several_venues": venues.several_venues}
