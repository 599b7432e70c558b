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


# --- a person's choice of where, as one value ----------------------------------------------------
# A form offers a session's choices as one radio group: "online", "venue" (a one-venue session)
# or "venue-<id>" (one of several venues); split_choice turns it into (mode, venue_id).


def several_venues(session: Session) -> bool:
    return Mode.venue in session.modes and len(session.venues) > 1


def needs_choice(session: Session) -> bool:
    """Whether people choose where they take part: venue or online, or which venue."""
    return len(session.modes) > 1 or several_venues(session)


def choice_value(mode: Mode, venue_id: int | None, session: Session) -> str:
    mode = Mode(mode)
    if mode is Mode.venue and several_venues(session) and venue_id is not None:
        return f"venue-{venue_id}"
    return mode.value


def place_choice(place: Place) -> str:
    return choice_value(place.mode, place.venue_id, place.session)


def place_options(session: Session) -> list[tuple[str, Mode, SessionVenue | None]]:
    """(value, mode, venue) of every choice a session offers, venues first (by position)."""
    options = []
    for mode in session.modes:
        if mode is Mode.venue and several_venues(session):
            options += [(f"venue-{v.id}", mode, v) for v in session.venues]
        else:
            options.append((mode.value, mode, session.default_venue))
    return options


def split_choice(value) -> tuple[str, int | None]:
    """(mode, venue_id) of a choice value; what is not one is given back as the mode, for the
    service to refuse."""
    value = str(value or "")
    mode, _, venue = value.partition("-")
    if mode == Mode.venue.value and venue.isdigit():
        return mode, int(venue)
    return value, None


def choice_infos(summary, session: Session) -> dict:
    """{choice value: places (capacity, confirmed, left…)} for a session, from capacity.summary."""
    infos = {}
    for value, mode, venue in place_options(session):
        if value.startswith("venue-"):
            infos[value] = summary.venues[venue.id]
        else:
            infos[value] = summary[session.id][mode]
    return infos


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
