"""A session of a series: adding it, changing it (what participants hear about), cancelling it.

Times must be aware datetimes (the form reads Asia/Tokyo, the API ISO 8601 with an offset).
A change of time or place bumps the session's iCalendar sequence and is announced with the
session_changed signal once it committed. Each function flushes; the edge commits once.
"""

from flask_babel import lazy_gettext as _l

from app.audit.services import record
from app.core.errors import ValidationFailed
from app.core.uow import after_commit
from app.events.fields import (
    Errors,
    choice_field,
    int_field,
    line_field,
    merged_input,
    text_field,
    time_field,
    url_field,
)
from app.events.models import Series, Session, SessionFormat, SessionStatus, SessionVenue
from app.events.signals import session_changed, session_changing, venue_removing
from app.extensions import db

SESSION_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "format",
    "online_capacity",
    "stream_url",
    "notes",
)
#: the one venue of a session, as flat fields (what the API and single-venue forms send)
ONE_VENUE_FIELDS = ("venue_name", "venue_address", "map_url", "venue_capacity")


def _clean_session(data: dict, session: Session | None = None) -> dict:
    errors = Errors()
    merged = merged_input(data, session, SESSION_FIELDS)
    cleaned = {
        "title": line_field(errors, merged, "title", 200, required=True),
        "starts_at": time_field(errors, merged, "starts_at", required=True),
        "ends_at": time_field(errors, merged, "ends_at", required=True),
        "format": choice_field(errors, merged, "format", SessionFormat, None),
        "online_capacity": int_field(errors, merged, "online_capacity"),
        "stream_url": url_field(errors, merged, "stream_url"),
        "notes": text_field(errors, merged, "notes"),
    }
    fmt = cleaned["format"]
    if fmt is None and "format" not in errors:
        errors.add("format", _l("This field is required."))
    start, end = cleaned["starts_at"], cleaned["ends_at"]
    if start and end and end <= start:
        errors.add("ends_at", _l("The session must end after it starts."))
    venues = _clean_venues(errors, data, session, fmt)
    if fmt is SessionFormat.venue:
        cleaned["online_capacity"] = None
        cleaned["stream_url"] = ""
    errors.check()
    cleaned["venues"] = venues
    return cleaned


def _venue_input(errors: Errors, data: dict, session: Session | None):
    """The venues asked for, as (field prefix, {id, name, address, map_url, capacity}) pairs:
    from a `venues` list, or from the flat fields of a session's one venue; None: unchanged."""
    current = list(session.venues) if session else []
    if "venues" in data:
        raw = data["venues"]
        if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
            errors.add("venues", _l("Give the venues as a list."))
            return None
        return [(f"venues.{i}.", v) for i, v in enumerate(raw)]
    if not any(k in data for k in ONE_VENUE_FIELDS):
        return None
    if len(current) > 1:
        errors.add("venues", _l("This session has several venues: change them one by one."))
        return None
    base = current[0] if current else None
    one = {
        "id": base.id if base else None,
        "name": data.get("venue_name", base.name if base else ""),
        "address": data.get("venue_address", base.address if base else ""),
        "map_url": data.get("map_url", base.map_url if base else ""),
        "capacity": data.get("venue_capacity", base.capacity if base else None),
    }
    return [("venue_", one)]


def _clean_venues(errors: Errors, data: dict, session: Session | None, fmt) -> list | None:
    """The session's venues as they will be ([] for an online session), or None to keep them.
    A venue or hybrid session needs at least one, each named and with its places."""
    asked = _venue_input(errors, data, session)
    if fmt is SessionFormat.online:
        return [] if session is None or session.venues else None
    if asked is None and (session is None or (fmt is not None and not session.venues)):
        asked = [("venue_", {})]  # a venue session without a venue: ask for one
    if asked is None:
        return None
    if not asked:
        errors.add("venues", _l("Add at least one venue."))
        return None
    own = {v.id for v in session.venues} if session else set()
    cleaned, names = [], set()
    for prefix, raw in asked:
        flat = prefix == "venue_"
        key = {
            "name": "venue_name" if flat else f"{prefix}name",
            "address": "venue_address" if flat else f"{prefix}address",
            "map_url": "map_url" if flat else f"{prefix}map_url",
            "capacity": "venue_capacity" if flat else f"{prefix}capacity",
        }
        values = {key[k]: raw.get(k) for k in key}
        venue = {
            "id": _venue_id(raw.get("id")),
            "name": line_field(errors, values, key["name"], 200),
            "address": line_field(errors, values, key["address"], 300),
            "map_url": url_field(errors, values, key["map_url"]),
            "capacity": int_field(errors, values, key["capacity"]),
        }
        if venue["id"] is not None and venue["id"] not in own:
            errors.add(f"{prefix}id" if not flat else "venues", _l("Not a venue of this session."))
        if not venue["name"] and key["name"] not in errors:
            errors.add(key["name"], _l("Name the venue."))
        elif venue["name"] in names:
            errors.add(key["name"], _l("Two venues have the same name."))
        names.add(venue["name"])
        if venue["capacity"] is None and key["capacity"] not in errors:
            errors.add(key["capacity"], _l("How many places are there at the venue?"))
        cleaned.append(venue)
    return cleaned


def _venue_id(value) -> int | None:
    """A venue's id as given (a form sends text); 0 (no venue) for what is no id."""
    if value in (None, ""):
        return None
    try:
        return int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


def _apply_venues(session: Session, venues: list[dict] | None) -> set[str]:
    """Make the session's venues these (update by id, add the new, remove the missing: a
    venue that holds places is refused by the listeners of venue_removing); what changed."""
    if venues is None:
        return set()
    before = [(v.name, v.address) for v in session.venues]  # a new map link is no news
    capacities = [(v.id, v.capacity) for v in session.venues]
    by_id = {v.id: v for v in session.venues}
    kept = {v["id"] for v in venues if v["id"] is not None}
    for venue in list(session.venues):
        if venue.id not in kept:
            venue_removing.send(venue)
            session.venues.remove(venue)
    for position, values in enumerate(venues):
        venue = by_id.get(values["id"]) if values["id"] is not None else None
        if venue is None:
            venue = SessionVenue()
            session.venues.append(venue)
        venue.position = position
        for field in ("name", "address", "map_url", "capacity"):
            setattr(venue, field, values[field])
    db.session.flush()
    changes = set()
    if [(v.name, v.address) for v in session.venues] != before:
        changes.add("place")
    if [(v.id, v.capacity) for v in session.venues] != capacities:
        changes.add("capacity")
    return changes


def add_session(series: Series, actor, data: dict) -> Session:
    cleaned = _clean_session(data)
    venues = cleaned.pop("venues")
    session = Session(series=series, **cleaned)
    db.session.add(session)
    db.session.flush()
    _apply_venues(session, venues)
    record(
        "session.created", actor=actor, org=series.org, series_id=series.id, session_id=session.id
    )
    db.session.flush()
    return session


def update_session(session: Session, actor, data: dict) -> set[str]:
    """Apply changes; returns what participants should hear about (announced once the change
    committed)."""
    if session.is_cancelled:
        raise ValidationFailed(fields={"status": [_l("This session has been cancelled.")]})
    cleaned = _clean_session(data, session)
    venues = cleaned.pop("venues")
    changes = set()
    if (cleaned["starts_at"], cleaned["ends_at"]) != (session.starts_at, session.ends_at):
        changes.add("time")
    if cleaned["format"] != session.format:
        changes.add("place")
    if cleaned["online_capacity"] != session.online_capacity:
        changes.add("capacity")
    for key, value in cleaned.items():
        setattr(session, key, value)
    changes |= _apply_venues(session, venues)
    if changes & {"time", "place"}:
        session.ical_sequence += 1
    record(
        "session.updated",
        actor=actor,
        org=session.series.org,
        session_id=session.id,
        changes=sorted(changes),
    )
    db.session.flush()
    if changes:
        session_changing.send(session, changes=changes)
        after_commit(lambda: session_changed.send(session, changes=changes))
    return changes


def cancel_session(session: Session, actor) -> None:
    if session.is_cancelled:
        return
    session.status = SessionStatus.cancelled
    session.ical_sequence += 1
    record("session.cancelled", actor=actor, org=session.series.org, session_id=session.id)
    db.session.flush()
    session_changing.send(session, changes={"cancelled"})
    after_commit(lambda: session_changed.send(session, changes={"cancelled"}))
