"""Series and sessions: the rules for creating, changing, publishing and cancelling them.

Input comes as plain dicts (from a form or the API) and is validated here, in one place.
Times must be aware datetimes (the form reads Asia/Tokyo, the API ISO 8601 with an offset).
"""

from datetime import datetime, timedelta
from urllib.parse import urlparse

import markdown
import nh3
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import record
from app.core.errors import NotFound, ValidationFailed
from app.core.prefectures import prefecture_code
from app.core.text import single_line
from app.core.types import OUT_OF_RANGE, in_supported_range, utcnow
from app.events.models import (
    Mode,
    Question,
    QuestionKind,
    Scope,
    Selection,
    Series,
    SeriesStatus,
    Session,
    SessionFormat,
    SessionStatus,
)
from app.events.signals import series_cancelled, session_changed
from app.extensions import db

TEXT_MAX = 20000
MAX_QUESTIONS = 20
MAX_OPTIONS = 30


class _Errors(dict):
    def add(self, field, message):
        self.setdefault(field, []).append(message)

    def check(self):
        if self:
            raise ValidationFailed(fields=dict(self))


def _line(errors, data, field, max_length, *, required=False, default=""):
    value = data.get(field)
    if value is None or str(value).strip() == "":
        if required:
            errors.add(field, _l("This field is required."))
        return default
    try:
        return single_line(value, max_length)
    except ValueError:
        errors.add(field, _l("Use at most %(n)d characters, on one line.", n=max_length))
        return default


def _text(errors, data, field, default=""):
    value = data.get(field)
    if value is None:
        return default
    value = str(value).replace("\r\n", "\n")
    if len(value) > TEXT_MAX or "\x00" in value:
        errors.add(field, _l("Use at most %(n)d characters.", n=TEXT_MAX))
        return default
    return value.strip()


def _time(errors, data, field, *, required=False):
    value = data.get(field)
    if value in (None, ""):
        if required:
            errors.add(field, _l("This field is required."))
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            errors.add(field, _l("Must be a date and time (ISO 8601)."))
            return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors.add(field, _l("Give the time with its offset, e.g. 2026-08-24T13:30:00+09:00."))
        return None
    if not in_supported_range(value):
        errors.add(field, OUT_OF_RANGE)
        return None
    return value


def _int(errors, data, field, *, minimum=0, maximum=100000, allow_none=True):
    value = data.get(field)
    if value in (None, ""):
        if not allow_none:
            errors.add(field, _l("This field is required."))
        return None
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
        if str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        errors.add(field, _l("Must be a whole number."))
        return None
    if not minimum <= number <= maximum:
        errors.add(field, _l("Must be between %(a)d and %(b)d.", a=minimum, b=maximum))
        return None
    return number


def _choice(errors, data, field, enum_cls, default):
    value = data.get(field)
    if value in (None, ""):
        return default
    try:
        return enum_cls(value)
    except ValueError:
        errors.add(field, _l("Choose one of: %(v)s.", v=", ".join(e.value for e in enum_cls)))
        return default


def _url(errors, data, field):
    value = _line(errors, data, field, 500)
    if value and urlparse(value).scheme not in ("http", "https"):
        errors.add(field, _l("Enter an address starting with https://."))
        return ""
    return value


# --- series ------------------------------------------------------------------------------------


SERIES_FIELDS = (
    "title",
    "description",
    "prefecture",
    "municipality",
    "registration_opens_at",
    "registration_closes_at",
    "scope",
    "selection",
    "waitlist_enabled",
    "completion_min_sessions",
    "online_threshold_percent",
    "privacy_notice",
    "checkin_opens_minutes",
    "room_opens_minutes",
    "room_closes_minutes",
    "reminders_enabled",
)


def _clean_series(data: dict, series: Series | None = None) -> dict:
    errors = _Errors()
    current = {f: getattr(series, f) for f in SERIES_FIELDS} if series else {}
    merged = {**current, **{k: v for k, v in data.items() if k in SERIES_FIELDS}}
    cleaned = {
        "title": _line(errors, merged, "title", 200, required=True),
        "description": _text(errors, merged, "description"),
        "municipality": _line(errors, merged, "municipality", 100),
        "registration_opens_at": _time(errors, merged, "registration_opens_at"),
        "registration_closes_at": _time(errors, merged, "registration_closes_at"),
        "scope": _choice(errors, merged, "scope", Scope, Scope.series),
        "selection": _choice(errors, merged, "selection", Selection, Selection.first_come),
        "waitlist_enabled": bool(merged.get("waitlist_enabled", True)),
        "reminders_enabled": bool(merged.get("reminders_enabled", True)),
        "completion_min_sessions": _int(
            errors, merged, "completion_min_sessions", minimum=1, maximum=100
        ),
        "online_threshold_percent": _int(
            errors, merged, "online_threshold_percent", minimum=1, maximum=100
        )
        or 70,
        "privacy_notice": _text(errors, merged, "privacy_notice"),
        "checkin_opens_minutes": _int(
            errors, merged, "checkin_opens_minutes", minimum=0, maximum=24 * 60
        ),
    }
    for field, default in (
        ("checkin_opens_minutes", 120),
        ("room_opens_minutes", 15),
        ("room_closes_minutes", 30),
    ):
        if field != "checkin_opens_minutes":
            cleaned[field] = _int(errors, merged, field, minimum=0, maximum=24 * 60)
        if cleaned[field] is None:
            cleaned[field] = default
    pref = merged.get("prefecture")
    cleaned["prefecture"] = None
    if pref not in (None, ""):
        cleaned["prefecture"] = prefecture_code(pref)
        if cleaned["prefecture"] is None:
            errors.add("prefecture", _l("Choose one of the 47 prefectures."))
    opens, closes = cleaned["registration_opens_at"], cleaned["registration_closes_at"]
    if opens and closes and closes <= opens:
        errors.add("registration_closes_at", _l("Registration must close after it opens."))
    if cleaned["selection"] is Selection.lottery and not closes:
        errors.add("registration_closes_at", _l("A lottery needs a deadline: when it is drawn."))
    errors.check()
    return cleaned


def create_series(org, actor, data: dict) -> Series:
    cleaned = _clean_series(data)
    series = Series(org_id=org.id, **cleaned)
    if data.get("published"):
        series.status = SeriesStatus.published
    db.session.add(series)
    db.session.flush()
    record("series.created", actor=actor, org=org, series_id=series.id)
    db.session.commit()
    return series


def update_series(series: Series, actor, data: dict) -> Series:
    cleaned = _clean_series(data, series)
    if series.selection is not cleaned["selection"] and series.lottery_drawn_at:
        raise ValidationFailed(fields={"selection": [_l("The lottery was already drawn.")]})
    for key, value in cleaned.items():
        setattr(series, key, value)
    record("series.updated", actor=actor, org=series.org, series_id=series.id)
    db.session.commit()
    return series


def publish_series(series: Series, actor, published: bool = True) -> None:
    if series.status is SeriesStatus.cancelled:
        raise ValidationFailed(fields={"status": [_l("A cancelled series cannot be published.")]})
    series.status = SeriesStatus.published if published else SeriesStatus.draft
    record(
        "series.published" if published else "series.unpublished",
        actor=actor,
        org=series.org,
        series_id=series.id,
    )
    db.session.commit()


def cancel_series(series: Series, actor) -> None:
    """Cancel the series and all its upcoming sessions; participants are told per session."""
    series.status = SeriesStatus.cancelled
    now = utcnow()
    cancelled = []
    for session in series.sessions:
        if session.status is SessionStatus.scheduled and session.ends_at > now:
            session.status = SessionStatus.cancelled
            session.ical_sequence += 1
            cancelled.append(session)
    record("series.cancelled", actor=actor, org=series.org, series_id=series.id)
    db.session.commit()
    series_cancelled.send(series)
    for session in cancelled:
        session_changed.send(session, changes={"cancelled"})


def set_questions(series: Series, questions: list[dict]) -> None:
    """Replace the series' questions ({id, kind, label, options, required, show_at_checkin}).

    A question given with the id of one of this series' questions is changed in place, so the
    answers people already gave stay attached to it; questions left out are deleted."""
    errors = _Errors()
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise ValidationFailed(
            fields={"questions": [_l("At most %(n)d questions.", n=MAX_QUESTIONS)]}
        )
    existing = {q.id: q for q in series.questions}
    rows = []
    for i, q in enumerate(questions):
        if not isinstance(q, dict):
            errors.add(f"questions.{i}", _l("Each question must be an object."))
            continue
        row_errors = _Errors()  # keyed by field here, by questions.<i>.<field> for the caller
        label = _line(row_errors, q, "label", 300, required=True)
        kind = _choice(row_errors, q, "kind", QuestionKind, QuestionKind.text)
        options = q.get("options") or []
        if isinstance(options, str):
            options = [o for o in options.splitlines()]
        try:
            options = [single_line(o, 200) for o in options if str(o).strip()]
        except (ValueError, TypeError):
            row_errors.add("options", _l("One option per line, each on one line."))
            options = []
        if kind is not QuestionKind.text and not 2 <= len(options) <= MAX_OPTIONS:
            row_errors.add("options", _l("Give between 2 and %(n)d options.", n=MAX_OPTIONS))
        if len(set(options)) != len(options):
            row_errors.add("options", _l("Options must differ."))
        for field, messages in row_errors.items():
            for message in messages:
                errors.add(f"questions.{i}.{field}", message)
        qid = q.get("id")
        rows.append(
            (
                existing.pop(qid, None) if type(qid) is int else None,  # not a bool
                {
                    "position": i,
                    "kind": kind,
                    "label": label,
                    "options": options if kind is not QuestionKind.text else [],
                    "required": bool(q.get("required")),
                    "show_at_checkin": bool(q.get("show_at_checkin")),
                },
            )
        )
    errors.check()
    kept = []
    for question, values in rows:
        question = question or Question()
        for key, value in values.items():
            setattr(question, key, value)
        kept.append(question)
    series.questions = kept
    db.session.commit()


# --- sessions ----------------------------------------------------------------------------------

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
    errors = _Errors()
    current = {f: getattr(session, f) for f in SESSION_FIELDS} if session else {}
    merged = {**current, **{k: v for k, v in data.items() if k in SESSION_FIELDS}}
    cleaned = {
        "title": _line(errors, merged, "title", 200, required=True),
        "starts_at": _time(errors, merged, "starts_at", required=True),
        "ends_at": _time(errors, merged, "ends_at", required=True),
        "format": _choice(errors, merged, "format", SessionFormat, None),
        "venue_name": _line(errors, merged, "venue_name", 200),
        "venue_address": _line(errors, merged, "venue_address", 300),
        "map_url": _url(errors, merged, "map_url"),
        "venue_capacity": _int(errors, merged, "venue_capacity"),
        "online_capacity": _int(errors, merged, "online_capacity"),
        "stream_url": _url(errors, merged, "stream_url"),
        "notes": _text(errors, merged, "notes"),
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
    db.session.commit()
    return session


def update_session(session: Session, actor, data: dict) -> set[str]:
    """Apply changes; returns (and announces) what participants should hear about."""
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
    db.session.commit()
    if changes:
        session_changed.send(session, changes=changes)
    return changes


def cancel_session(session: Session, actor) -> None:
    if session.is_cancelled:
        return
    session.status = SessionStatus.cancelled
    session.ical_sequence += 1
    record("session.cancelled", actor=actor, org=session.series.org, session_id=session.id)
    db.session.commit()
    session_changed.send(session, changes={"cancelled"})


# --- reading -----------------------------------------------------------------------------------


def room_window(session: Session) -> tuple[datetime, datetime]:
    """When the live room of an online or hybrid session is open: from the series'
    room_opens_minutes before the start to room_closes_minutes after the end. The room, the
    buttons that lead to it and the mails all read this one rule."""
    series = session.series
    return (
        session.starts_at - timedelta(minutes=series.room_opens_minutes),
        session.ends_at + timedelta(minutes=series.room_closes_minutes),
    )


def get_series(
    series_id: int, *, org_id: int | None = None, public: bool = False, options=()
) -> Series:
    series = db.session.get(Series, series_id, options=options)
    if series is None or (org_id is not None and series.org_id != org_id):
        raise NotFound()
    if public and series.status is SeriesStatus.draft:
        raise NotFound()
    return series


#: get_series(options=…) for registering: what the rules, the email and the answer read
FOR_REGISTERING = (
    joinedload(Series.org),
    joinedload(Series.sessions),
    joinedload(Series.questions),  # a few of each: one query
)


def get_session(session_id: int, *, org_id: int | None = None) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or (org_id is not None and session.series.org_id != org_id):
        raise NotFound()
    return session


def public_series(*, prefecture=None, fmt=None, online=None, now=None) -> list[Series]:
    """Published series with an upcoming session, soonest first, then past ones.

    fmt: a SessionFormat any session has; online: only series with an online place."""
    now = now or utcnow()
    query = (
        select(Series)
        .where(Series.status == SeriesStatus.published)
        .options(selectinload(Series.sessions), selectinload(Series.org))
    )
    if prefecture:
        query = query.where(Series.prefecture == prefecture)
    series = db.session.scalars(query).all()

    def keep(s: Series) -> bool:
        sessions = [x for x in s.sessions if not x.is_cancelled]
        if fmt and not any(x.format is fmt for x in sessions):
            return False
        return not (online and not any(Mode.online in x.modes for x in sessions))

    def sort_key(s: Series):
        upcoming = [x.starts_at for x in s.sessions if x.ends_at > now and not x.is_cancelled]
        if upcoming:
            return (0, min(upcoming).timestamp())
        last = max((x.starts_at for x in s.sessions), default=s.created_at)
        return (1, -last.timestamp())

    return sorted(filter(keep, series), key=sort_key)


def org_series(org_id: int) -> list[Series]:
    return db.session.scalars(
        select(Series)
        .where(Series.org_id == org_id)
        .order_by(Series.created_at.desc())
        .options(selectinload(Series.sessions))
    ).all()


_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}


def render_markdown(text: str) -> Markup:
    """Organisers' Markdown as safe HTML: no script, no inline handlers, links open safely."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return Markup(  # noqa: S704 -- sanitised by nh3 right here  # nosec B704
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
