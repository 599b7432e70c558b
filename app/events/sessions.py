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
from app.events.models import Series, Session, SessionFormat, SessionStatus
from app.events.signals import session_changed, session_changing
from app.extensions import db

SESSION_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "format",
    "venue_name",
    "venue_address",
    "map_url",
    "venue_capacity",
    "online_capacity",
    "stream_url",
    "notes",
)


def _clean_session(data: dict, session: Session | None = None) -> dict:
    errors = Errors()
    merged = merged_input(data, session, SESSION_FIELDS)
    cleaned = {
        "title": line_field(errors, merged, "title", 200, required=True),
        "starts_at": time_field(errors, merged, "starts_at", required=True),
        "ends_at": time_field(errors, merged, "ends_at", required=True),
        "format": choice_field(errors, merged, "format", SessionFormat, None),
        "venue_name": line_field(errors, merged, "venue_name", 200),
        "venue_address": line_field(errors, merged, "venue_address", 300),
        "map_url": url_field(errors, merged, "map_url"),
        "venue_capacity": int_field(errors, merged, "venue_capacity"),
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
    if fmt in (SessionFormat.venue, SessionFormat.hybrid):
        if not cleaned["venue_name"]:
            errors.add("venue_name", _l("Name the venue."))
        if cleaned["venue_capacity"] is None and "venue_capacity" not in errors:
            errors.add("venue_capacity", _l("How many places are there at the venue?"))
    if fmt is SessionFormat.online:
        cleaned["venue_capacity"] = None
    if fmt is SessionFormat.venue:
        cleaned["online_capacity"] = None
        cleaned["stream_url"] = ""
    errors.check()
    return cleaned


def add_session(series: Series, actor, data: dict) -> Session:
    session = Session(series=series, **_clean_session(data))
    db.session.add(session)
    db.session.flush()
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
    changes = set()
    if (cleaned["starts_at"], cleaned["ends_at"]) != (session.starts_at, session.ends_at):
        changes.add("time")
    if (cleaned["venue_name"], cleaned["venue_address"], cleaned["format"]) != (
        session.venue_name,
        session.venue_address,
        session.format,
    ):
        changes.add("place")
    if (cleaned["venue_capacity"], cleaned["online_capacity"]) != (
        session.venue_capacity,
        session.online_capacity,
    ):
        changes.add("capacity")
    for key, value in cleaned.items():
        setattr(session, key, value)
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
