"""Organiser forms for series, questions and sessions.

They only collect input: times typed in Asia/Tokyo become aware datetimes here, and
app.events.services decides what is valid (its field errors come back through show_errors).
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import DateTimeLocalInput, NumberInput, URLInput

from app.core.forms import AppForm, apply_errors, choices
from app.core.prefectures import prefecture_choices
from app.core.timefmt import TOKYO, to_local
from app.events.models import (
    QuestionKind,
    Scope,
    Selection,
    SeriesStatus,
    SessionFormat,
    SessionStatus,
)
from app.events.themes import THEME_LABELS

SERIES_STATUS_LABELS = {
    SeriesStatus.draft: _l("Draft"),
    SeriesStatus.published: _l("Published"),
    SeriesStatus.cancelled: _l("Cancelled"),
}
SCOPE_LABELS = {
    Scope.series: _l("One registration covers every session"),
    Scope.session: _l("People choose the sessions they come to"),
}
SELECTION_LABELS = {
    Selection.first_come: _l("First come, first served"),
    Selection.lottery: _l("Lottery at the deadline"),
}
FORMAT_LABELS = {
    SessionFormat.venue: _l("At the venue"),
    SessionFormat.online: _l("Online"),
    SessionFormat.hybrid: _l("Hybrid (venue and online)"),
}
SESSION_STATUS_LABELS = {
    SessionStatus.scheduled: _l("Scheduled"),
    SessionStatus.cancelled: _l("Cancelled"),
}
KIND_LABELS = {
    QuestionKind.text: _l("Free text"),
    QuestionKind.single: _l("One choice"),
    QuestionKind.multiple: _l("Several choices"),
}
BAD_TIME = _l("Enter a date and time, e.g. 2026-08-24 13:30.")


def local_input(value: datetime | None) -> str:
    """A stored time as the value of an <input type="datetime-local"> (Asia/Tokyo)."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def read_local(value) -> datetime | str | None:
    """What a datetime-local input sent, as an aware Asia/Tokyo time. Text that is no time is
    passed on as typed, so the service refuses it beside its field."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)


def error_text(exc) -> str:
    """A service error as one line for a flash message: its field messages, else its own."""
    return " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)


def number(label, description=None, **limits):
    """A number input that keeps the text: the service says what a good number is."""
    return StringField(label, description=description, widget=NumberInput(**limits))


class TokyoTimeField(StringField):
    widget = DateTimeLocalInput()


class ServiceForm(AppForm):
    """A form whose fields (except the CSRF token) are the service's input, by name."""

    def service_data(self) -> dict:
        data = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            data[name] = read_local(field.data) if isinstance(field, TokyoTimeField) else field.data
        return data

    def show_errors(self, fields: dict) -> None:
        apply_errors(self, fields)
        for field in self:
            if isinstance(field, TokyoTimeField) and isinstance(read_local(field.data), str):
                field.errors = [str(BAD_TIME)]  # friendlier than the API's "ISO 8601"


class SeriesForm(ServiceForm):
    title = StringField(
        _l("Title"),
        description=_l("e.g. しまね関係人口ゼミ 2026"),
        render_kw={"maxlength": 200},
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("Markdown: **bold**, lists with -, links as [text](https://…)."),
        render_kw={"rows": 8},
    )
    prefecture = SelectField(_l("Prefecture of the region"), choices=[], validate_choice=False)
    municipality = StringField(
        _l("Municipality"), description=_l("e.g. 松江市"), render_kw={"maxlength": 100}
    )
    theme = SelectField(
        _l("Theme"),
        description=_l("Optional: people can search the portal by it."),
        choices=[],
        validate_choice=False,
    )
    registration_opens_at = TokyoTimeField(
        _l("Registration opens"), description=_l("Japan time. Empty: open as soon as published.")
    )
    registration_closes_at = TokyoTimeField(
        _l("Registration closes"),
        description=_l("Japan time. For a lottery this is when it is drawn."),
    )
    scope = SelectField(
        _l("What people register for"),
        choices=choices((s.value, label) for s, label in SCOPE_LABELS.items()),
        validate_choice=False,
    )
    selection = SelectField(
        _l("Who gets a place"),
        choices=choices((s.value, label) for s, label in SELECTION_LABELS.items()),
        validate_choice=False,
    )
    waitlist_enabled = BooleanField(_l("Keep a waitlist when a session is full"), default=True)
    completion_min_sessions = number(
        _l("Completed after attending at least this many sessions"),
        _l("Empty: no certificate."),
        min=1,
    )
    archive_counts_minutes = number(
        _l("Watching the archive for at least this many minutes counts as attending"),
        _l("Empty: archive viewing never counts (it is shown apart from attendance)."),
        min=1,
        max=1440,
    )
    online_threshold_percent = number(
        _l("Online attendance counts from this share of the session (%)"), min=1, max=100
    )
    checkin_opens_minutes = number(
        _l("Venue check-in opens this many minutes before a session"), min=0, max=1440
    )
    reminders_enabled = BooleanField(
        _l("Send reminders by email"),
        description=_l(
            "To people with a confirmed place: the day before (at the organisation's time) "
            "and an hour before each session, with the live room's link or the QR ticket."
        ),
        default=True,
    )
    in_programme = BooleanField(
        _l("Part of the programme (委託元 can see its figures)"),
        description=_l(
            "The organisation's viewers (the commissioning municipality) see this series' "
            "figures as aggregates only: no names, and no figure of fewer than 5 people."
        ),
        default=False,
    )
    privacy_notice = TextAreaField(
        _l("Privacy notice"),
        description=_l("Shown on the registration form: who uses the data, for what."),
        render_kw={"rows": 5},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefecture.choices = choices([("", _l("Choose…")), *prefecture_choices()])
        themes = [(t.value, label) for t, label in THEME_LABELS.items()]
        self.theme.choices = choices([("", _l("No theme")), *themes])

    @staticmethod
    def initial(series) -> dict:
        if series is None:
            return {
                "online_threshold_percent": "70",
                "checkin_opens_minutes": "120",
                "waitlist_enabled": True,
                "reminders_enabled": True,
            }
        return {
            "title": series.title,
            "description": series.description,
            "prefecture": series.prefecture or "",
            "municipality": series.municipality,
            "theme": series.theme.value if series.theme else "",
            "registration_opens_at": local_input(series.registration_opens_at),
            "registration_closes_at": local_input(series.registration_closes_at),
            "scope": series.scope.value,
            "selection": series.selection.value,
            "waitlist_enabled": series.waitlist_enabled,
            "completion_min_sessions": series.completion_min_sessions or "",
            "archive_counts_minutes": series.archive_counts_minutes or "",
            "online_threshold_percent": series.online_threshold_percent,
            "checkin_opens_minutes": series.checkin_opens_minutes,
            "reminders_enabled": series.reminders_enabled,
            "in_programme": series.in_programme,
            "privacy_notice": series.privacy_notice,
        }


class VenueRow(Form):
    """One venue of a session (a second or third is a サテライト会場); a new row left empty is
    no venue."""

    id = HiddenField()
    name = StringField(
        _l("Venue"), description=_l("e.g. 東京会場, 松江会場"), render_kw={"maxlength": 200}
    )
    address = StringField(_l("Venue address"), render_kw={"maxlength": 300})
    map_url = StringField(_l("Map link"), widget=URLInput(), render_kw={"maxlength": 500})
    capacity = number(_l("Places at the venue"), min=0)
    remove = BooleanField(_l("Remove this venue"))

    def is_blank(self) -> bool:
        fields = (self.id, self.name, self.address, self.map_url, self.capacity)
        return not any(str(f.data or "").strip() for f in fields)


class SessionForm(ServiceForm):
    title = StringField(
        _l("Title"), description=_l("e.g. 第1回 地域を知る"), render_kw={"maxlength": 200}
    )
    starts_at = TokyoTimeField(_l("Starts"), description=_l("Japan time."))
    ends_at = TokyoTimeField(_l("Ends"), description=_l("Japan time."))
    format = SelectField(
        _l("Format"),
        choices=choices((f.value, label) for f, label in FORMAT_LABELS.items()),
        validate_choice=False,
    )
    venues = FieldList(FormField(VenueRow), min_entries=1)
    online_capacity = number(_l("Places online"), _l("Empty: unlimited."), min=0)
    stream_url = StringField(
        _l("Stream or meeting link"),
        description=_l("YouTube, Zoom or Jitsi. Only registered people see it, in the live room."),
        widget=URLInput(),
        render_kw={"maxlength": 500},
    )
    notes = TextAreaField(
        _l("Notes for participants"),
        description=_l("e.g. what to bring, how to get there."),
        render_kw={"rows": 4},
    )

    @staticmethod
    def initial(session) -> dict:
        if session is None:
            return {"format": SessionFormat.hybrid.value, "venues": [{}]}
        venues = [
            {
                "id": v.id,
                "name": v.name,
                "address": v.address,
                "map_url": v.map_url,
                "capacity": "" if v.capacity is None else v.capacity,
            }
            for v in session.venues
        ]
        return {
            "title": session.title,
            "starts_at": local_input(session.starts_at),
            "ends_at": local_input(session.ends_at),
            "format": session.format.value,
            "venues": venues or [{}],
            "online_capacity": "" if session.online_capacity is None else session.online_capacity,
            "stream_url": session.stream_url,
            "notes": session.notes,
        }

    def _kept_rows(self) -> list[int]:
        """The rows of the venues the session keeps: not new and empty, not removed."""
        return [
            i
            for i, entry in enumerate(self.venues.entries)
            if not entry.form.is_blank() and not entry.form.remove.data
        ]

    def service_data(self) -> dict:
        """The session's fields, and its venues as a list: a venue left out is removed."""
        data = {k: v for k, v in super().service_data().items() if k != "venues"}
        data["venues"] = []
        for i in self._kept_rows():
            row = self.venues.entries[i].form
            vid = str(row.id.data or "").strip()
            data["venues"].append(
                {
                    "id": int(vid) if vid.isdigit() else None,
                    "name": row.name.data,
                    "address": row.address.data,
                    "map_url": row.map_url.data,
                    "capacity": row.capacity.data,
                }
            )
        return data

    def show_errors(self, fields: dict) -> None:
        """Errors of a venue (venues.<n>.<field>, n among the kept rows) go beside its field;
        the others as any service form's."""
        rows, rest = self._kept_rows(), {}
        for key, messages in fields.items():
            parts = key.split(".")
            row = None
            if len(parts) == 3 and parts[0] == "venues" and parts[1].isdigit():
                n = int(parts[1])
                row = self.venues.entries[rows[n]].form if n < len(rows) else None
            field = getattr(row, parts[2], None) if row is not None else None
            if key == "venues" or (field is None and parts[0] == "venues"):
                self.form_errors.extend(str(m) for m in messages)  # about the venues as a whole
            elif field is None:
                rest[key] = messages
            else:
                field.errors = [*field.errors, *(str(m) for m in messages)]
        entries = [entry.errors for entry in self.venues.entries]
        self.venues.errors = entries if any(entries) else []  # as FieldList.validate does
        super().show_errors(rest)


class QuestionRow(Form):
    """One question of the editor; a row left empty is no question."""

    id = HiddenField()
    kind = SelectField(
        _l("Kind"),
        choices=choices((k.value, label) for k, label in KIND_LABELS.items()),
        validate_choice=False,
    )
    label = StringField(_l("Question"), render_kw={"maxlength": 300})
    options = TextAreaField(
        _l("Options"),
        description=_l("For a choice: one option per line."),
        render_kw={"rows": 4},
    )
    required = BooleanField(_l("An answer is required"))
    show_at_checkin = BooleanField(_l("Show the answer to staff at check-in"))

    def is_blank(self) -> bool:
        return not (self.label.data or "").strip() and not (self.options.data or "").strip()


class QuestionsForm(AppForm):
    BLANK_ROWS = 3

    questions = FieldList(FormField(QuestionRow))

    @classmethod
    def initial(cls, series) -> dict:
        rows = [
            {
                "id": q.id,
                "kind": q.kind.value,
                "label": q.label,
                "options": "\n".join(q.options),
                "required": q.required,
                "show_at_checkin": q.show_at_checkin,
            }
            for q in series.questions
        ]
        return {"questions": rows + [{"kind": QuestionKind.text.value}] * cls.BLANK_ROWS}

    def service_rows(self) -> tuple[list[dict], list[int]]:
        """The filled rows as the service takes them, and the row index of each."""
        rows, index = [], []
        for i, entry in enumerate(self.questions.entries):
            row = entry.form
            if row.is_blank():
                continue
            qid = (row.id.data or "").strip()
            rows.append(
                {
                    "id": int(qid) if qid.isdigit() else None,
                    "kind": row.kind.data,
                    "label": row.label.data,
                    "options": row.options.data or "",
                    "required": row.required.data,
                    "show_at_checkin": row.show_at_checkin.data,
                }
            )
            index.append(i)
        return rows, index

    def show_errors(self, fields: dict, index: list[int]) -> None:
        """Service errors are keyed questions.<n>.<field> by position among the filled rows."""
        for key, messages in fields.items():
            parts = key.split(".")
            row = None
            if len(parts) >= 2 and parts[0] == "questions" and parts[1].isdigit():
                n = int(parts[1])
                row = self.questions.entries[index[n]].form if n < len(index) else None
            field = getattr(row, parts[2], None) if row is not None and len(parts) == 3 else None
            if field is None:
                self.form_errors.extend(str(m) for m in messages)
            else:
                field.errors = [*field.errors, *(str(m) for m in messages)]
        entries = [entry.errors for entry in self.questions.entries]
        self.questions.errors = entries if any(entries) else []  # as FieldList.validate does
