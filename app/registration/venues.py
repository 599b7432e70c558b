"""A session's venues as registration sees them: which venue a venue place goes to, and that a
venue holding places is not removed from under them."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.errors import ValidationFailed
from app.events.models import Mode, Session, SessionVenue
from app.events.signals import venue_removing
from app.extensions import db
from app.registration.models import Place, PlaceStatus


def venue_for(session: Session, mode: Mode, venue_id=None) -> int | None:
    """The venue a place in `mode` goes to: None online; the chosen venue of the session, or
    its only venue when none was chosen (so a one-venue session needs no choice)."""
    if Mode(mode) is not Mode.venue:
        return None
    if venue_id in (None, ""):
        default = session.default_venue
        if default is None:
            raise ValidationFailed(
                fields={"venue_id": [_l("Choose a venue for %(s)s.", s=session.title)]}
            )
        return default.id
    try:
        venue = session.venue(int(venue_id)) if not isinstance(venue_id, bool) else None
    except (TypeError, ValueError):
        venue = None
    if venue is None:
        raise ValidationFailed(
            fields={"venue_id": [_l("Choose one of the venues of %(s)s.", s=session.title)]}
        )
    return venue.id


def venue_label(place: Place) -> str:
    """Where a place is: its venue's name (or the session's, for a one-venue place)."""
    if place.mode is not Mode.venue:
        return ""
    venue = place.venue if place.venue_id is not None else None
    return venue.name if venue is not None else place.session.venue_name


@venue_removing.connect
def _keep_a_venue_that_holds_places(venue: SessionVenue) -> None:
    """An organiser removing a venue: refused while people hold (or wait for) places there."""
    held = db.session.scalar(
        select(func.count())
        .select_from(Place)
        .where(Place.venue_id == venue.id, Place.status != PlaceStatus.cancelled)
    )
    if held:
        raise ValidationFailed(
            fields={
                "venues": [
                    _l(
                        "%(v)s cannot be removed: %(n)d people hold or wait for a place there."
                        " Move or cancel their places first.",
                        v=venue.name,
                        n=held,
                    )
                ]
            }
        )
