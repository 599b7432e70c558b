"""A series: creating, changing, publishing and cancelling it, and its questions.

Input comes as a plain dict (from a form or the API) and is validated here, in one place.
Cancelling a series cancels its upcoming sessions and tells their participants (signals, once
the change committed). Each function flushes; the edge (page, API, command) commits once.
"""

from flask_babel import lazy_gettext as _l

from app.audit.services import record
from app.core.errors import ValidationFailed
from app.core.prefectures import prefecture_code
from app.core.text import single_line
from app.core.types import utcnow
from app.core.uow import after_commit
from app.events.fields import (
    Errors,
    choice_field,
    int_field,
    line_field,
    merged_input,
    text_field,
    time_field,
)
from app.events.models import (
    Question,
    QuestionKind,
    Scope,
    Selection,
    Series,
    SeriesStatus,
    SessionStatus,
    Theme,
)
from app.events.signals import series_cancelled, session_changed, session_changing
from app.extensions import db

MAX_QUESTIONS = 20
MAX_OPTIONS = 30

SERIES_FIELDS = (
    "title",
    "description",
    "prefecture",
    "municipality",
    "theme",
    "registration_opens_at",
    "registration_closes_at",
    "scope",
    "selection",
    "waitlist_enabled",
    "completion_min_sessions",
    "archive_counts_minutes",
    "online_threshold_percent",
    "privacy_notice",
    "checkin_opens_minutes",
    "room_opens_minutes",
    "room_closes_minutes",
    "reminders_enabled",
    "in_programme",
)


def _clean_series(data: dict, series: Series | None = None) -> dict:
    errors = Errors()
    merged = merged_input(data, series, SERIES_FIELDS)
    cleaned = {
        "title": line_field(errors, merged, "title", 200, required=True),
        "description": text_field(errors, merged, "description"),
        "municipality": line_field(errors, merged, "municipality", 100),
        "registration_opens_at": time_field(errors, merged, "registration_opens_at"),
        "registration_closes_at": time_field(errors, merged, "registration_closes_at"),
        "theme": choice_field(errors, merged, "theme", Theme, None),
        "scope": choice_field(errors, merged, "scope", Scope, Scope.series),
        "selection": choice_field(errors, merged, "selection", Selection, Selection.first_come),
        "waitlist_enabled": bool(merged.get("waitlist_enabled", True)),
        "reminders_enabled": bool(merged.get("reminders_enabled", True)),
        "in_programme": bool(merged.get("in_programme", False)),
        "completion_min_sessions": int_field(
            errors, merged, "completion_min_sessions", minimum=1, maximum=100
        ),
        # off (None) by default: archive viewing never counts as attending
        "archive_counts_minutes": int_field(
            errors, merged, "archive_counts_minutes", minimum=1, maximum=24 * 60
        ),
        "online_threshold_percent": int_field(
            errors, merged, "online_threshold_percent", minimum=1, maximum=100
        )
        or 70,
        "privacy_notice": text_field(errors, merged, "privacy_notice"),
        "checkin_opens_minutes": int_field(
            errors, merged, "checkin_opens_minutes", minimum=0, maximum=24 * 60
        ),
    }
    for field, default in (
        ("checkin_opens_minutes", 120),
        ("room_opens_minutes", 15),
        ("room_closes_minutes", 30),
    ):
        if field != "checkin_opens_minutes":
            cleaned[field] = int_field(errors, merged, field, minimum=0, maximum=24 * 60)
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
    db.session.flush()
    return series


def update_series(series: Series, actor, data: dict) -> Series:
    cleaned = _clean_series(data, series)
    if series.selection is not cleaned["selection"] and series.lottery_drawn_at:
        raise ValidationFailed(fields={"selection": [_l("The lottery was already drawn.")]})
    for key, value in cleaned.items():
        setattr(series, key, value)
    record("series.updated", actor=actor, org=series.org, series_id=series.id)
    db.session.flush()
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
    db.session.flush()


def cancel_series(series: Series, actor) -> None:
    """Cancel the series and all its upcoming sessions; participants are told per session, once
    the cancellation committed."""
    series.status = SeriesStatus.cancelled
    now = utcnow()
    cancelled = []
    for session in series.sessions:
        if session.status is SessionStatus.scheduled and session.ends_at > now:
            session.status = SessionStatus.cancelled
            session.ical_sequence += 1
            cancelled.append(session)
    record("series.cancelled", actor=actor, org=series.org, series_id=series.id)
    db.session.flush()
    for session in cancelled:
        session_changing.send(session, changes={"cancelled"})

    def announce():
        series_cancelled.send(series)
        for session in cancelled:
            session_changed.send(session, changes={"cancelled"})

    after_commit(announce)


def set_questions(series: Series, questions: list[dict]) -> None:
    """Replace the series' questions ({id, kind, label, options, required, show_at_checkin}).

    A question given with the id of one of this series' questions is changed in place, so the
    answers people already gave stay attached to it; questions left out are deleted."""
    errors = Errors()
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
        row_errors = Errors()  # keyed by field here, by questions.<i>.<field> for the caller
        label = line_field(row_errors, q, "label", 300, required=True)
        kind = choice_field(row_errors, q, "kind", QuestionKind, QuestionKind.text)
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
    db.session.flush()
