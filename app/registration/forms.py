"""Participant forms. They only collect input; registration.services decides what is valid."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from app.core.forms import AppForm, MultiCheckboxField, Needed, choices
from app.core.prefectures import prefecture_choices, prefecture_code, prefecture_name
from app.events.models import Mode, QuestionKind, Scope, SessionFormat, Theme
from app.events.themes import THEME_LABELS
from app.registration.capacity import availability
from app.registration.portal import MAX_KEYWORD, Search, near_codes
from app.registration.venues import (
    choice_infos,
    needs_choice,
    place_options,
    several_venues,
    split_choice,
)

MODE_LABELS = {Mode.venue: _l("At the venue"), Mode.online: _l("Online")}
FORMAT_LABELS = {
    SessionFormat.venue: _l("At the venue"),
    SessionFormat.online: _l("Online"),
    SessionFormat.hybrid: _l("Venue or online"),
}


def keyword(value) -> str:
    """A search keyword: control characters dropped, spaces trimmed, at most MAX_KEYWORD."""
    text = "".join(c for c in str(value or "") if unicodedata.category(c)[0] != "C")
    return text.strip()[:MAX_KEYWORD]


def bad_date(field) -> bool:
    return field.data is None and bool(field.raw_data and str(field.raw_data[0]).strip())


class SeriesFilterForm(AppForm):
    """The portal's search, read from the query string. A value that is not understood is
    ignored (a bad date is shown as a field error); nothing here can fail the page."""

    class Meta:
        csrf = False

    q = StringField(_l("Keyword"), filters=[keyword])
    prefecture = SelectField(_l("Prefecture"), choices=[], validate_choice=False)
    format = SelectField(_l("Format"), choices=[], validate_choice=False)
    theme = SelectField(_l("Theme"), choices=[], validate_choice=False)
    near = SelectField(_l("Venue near"), choices=[], validate_choice=False)
    near_region = BooleanField(_l("Also venues elsewhere in its region (地方)"))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
    online = BooleanField(_l("Can take part online"))
    open = BooleanField(_l("Open for entry"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefecture.choices = choices([("", _l("Anywhere")), *prefecture_choices()])
        self.format.choices = choices([("", _l("Any format")), *FORMAT_LABELS.items()])
        themes = [(t.value, label) for t, label in THEME_LABELS.items()]
        self.theme.choices = choices([("", _l("Any theme")), *themes])
        self.near.choices = choices([("", _l("Anywhere")), *prefecture_choices()])
        for field in (self.date_from, self.date_to):  # a date that does not parse is shown
            field.errors = [_l("Enter a date like 2026-04-01.")] if bad_date(field) else []

    def search(self, *, finished: bool = False) -> Search:
        """What to look for; values that are not understood are left out."""
        fmt = self.format.data
        start, end = self.date_from.data, self.date_to.data
        if start and end and end < start:
            self.date_to.errors = [*self.date_to.errors, _l("The end date is before the start.")]
            end = None
        return Search(
            keyword=self.q.data or "",
            prefecture=prefecture_code(self.prefecture.data) if self.prefecture.data else None,
            fmt=SessionFormat(fmt) if fmt in SessionFormat.__members__ else None,
            theme=Theme(self.theme.data) if self.theme.data in Theme.__members__ else None,
            near=near_codes(
                prefecture_code(self.near.data) if self.near.data else None,
                bool(self.near_region.data),
            ),
            date_from=start,
            date_to=end,
            online=bool(self.online.data),
            open_only=bool(self.open.data),
            finished=finished,
        )


class RegistrationForm(AppForm):
    """Built per series by registration_form(): where to take part for each session that
    offers a choice (venue or online, or which venue), the sessions (when people choose them),
    one field per question, and `consent` to the series' privacy notice."""

    def modes(self) -> dict[int, str]:
        return {s.id: split_choice(self[f"mode_{s.id}"].data)[0] for s in self.hybrid_sessions}

    def venues(self) -> dict[int, int]:
        chosen = {s.id: split_choice(self[f"mode_{s.id}"].data)[1] for s in self.hybrid_sessions}
        return {sid: v for sid, v in chosen.items() if v is not None}

    def session_ids(self) -> list[int] | None:
        if "sessions" not in self:
            return None
        return [int(v) for v in self.sessions.data or [] if str(v).isdigit()]

    def answers(self) -> dict:
        return {str(q.id): self[f"q_{q.id}"].data for q in self.questions}

    def field_errors(self, fields: dict) -> dict:
        """A service's field names as this form's: answers.<id> is q_<id>, session_ids is
        sessions; anything else (e.g. mode) stays as is and shows above the form."""
        renamed = {"session_ids": "sessions"}
        return {
            renamed.get(k, k.replace("answers.", "q_", 1) if k.startswith("answers.") else k): v
            for k, v in fields.items()
        }


def option_label(mode: Mode, venue) -> str:
    """A choice's label: the venue's name where a session has several, else the mode."""
    return venue.name if venue is not None and mode is Mode.venue else MODE_LABELS[mode]


def where_choices(session) -> list[tuple[str, str]]:
    several = several_venues(session)
    return [
        (value, option_label(mode, venue if several else None))
        for value, mode, venue in place_options(session)
    ]


def default_choice(session, summary, user, series) -> str:
    """People near the region come to the venue (to a venue in their prefecture, where a
    session has several), the others join online; a full choice gives way to one with room."""
    preferred = Mode.venue if user.prefecture == series.prefecture else Mode.online
    home = prefecture_name(user.prefecture, "ja") if several_venues(session) else None
    options = place_options(session)
    infos = choice_infos(summary, session)
    if home and any(v and v.address.startswith(home) for _, _, v in options):
        # a venue in the person's prefecture first: 東京会場 for someone in Tokyo
        ranked = sorted(options, key=lambda o: not (o[2] and o[2].address.startswith(home)))
    else:
        ranked = sorted(options, key=lambda o: o[1] is not preferred)
    for value, _mode, _venue in ranked:
        if availability(infos[value]) != "full":
            return value
    return ranked[0][0]


def registration_form(series, sessions, summary, user, **kwargs) -> RegistrationForm:
    """The form for `series`. sessions: the upcoming ones people can register for."""

    class Form(RegistrationForm):
        pass

    choosing = [s for s in sessions if needs_choice(s)]
    for s in choosing:
        setattr(
            Form,
            f"mode_{s.id}",
            RadioField(
                _l("How you take part in %(session)s", session=s.title),
                choices=choices(where_choices(s)),
                default=default_choice(s, summary, user, series),
                validate_choice=False,
            ),
        )
    if series.scope is Scope.session:
        Form.sessions = MultiCheckboxField(
            _l("Sessions you come to"), choices=choices((str(s.id), s.title) for s in sessions)
        )
    for q in series.questions:
        setattr(Form, f"q_{q.id}", _question_field(q))
    # made last, as it comes last on the page (the error summary lists fields in this order)
    Form.consent = BooleanField(_l("I agree to the privacy notice above"))
    Form.record_consent = BooleanField(
        _l(
            "Optional: the organiser may list me among the people with several activities in "
            "its programme in a fiscal year (for 関わり証明)"
        )
    )
    form = Form(**kwargs)
    form.hybrid_sessions = choosing
    form.questions = list(series.questions)
    return form


def _question_field(question):
    """The field of one question; a required one says 「必須」 in its label or legend."""
    label, marks = question.label, [Needed()] if question.required else []
    if question.kind is QuestionKind.text:
        return TextAreaField(label, marks, render_kw={"maxlength": 2000, "rows": 3})
    options = choices((o, o) for o in question.options)
    if question.kind is QuestionKind.single:
        return RadioField(label, marks, choices=options, validate_choice=False)
    return MultiCheckboxField(label, marks, choices=options)


class AddSessionForm(AppForm):
    """Book one more session in an existing registration: where, when the session offers a
    choice (venue or online, or which venue)."""

    mode = RadioField(choices=choices(MODE_LABELS.items()), validate_choice=False)

    def modes(self, session_id: int) -> dict[int, str]:
        return {session_id: split_choice(self.mode.data)[0]}

    def venues(self, session_id: int) -> dict[int, int]:
        venue_id = split_choice(self.mode.data)[1]
        return {} if venue_id is None else {session_id: venue_id}


def add_session_forms(sessions, summary, user, series) -> dict[int, AddSessionForm]:
    """{session_id: form} for the sessions a registered person can still book; each form has
    its own prefix (several on one page), the choice of where made as on registering."""
    forms = {}
    for s in sessions:
        form = AddSessionForm(prefix=f"add-{s.id}")
        form.mode.label.text = _l("How you take part in %(session)s", session=s.title)
        form.mode.choices = choices(where_choices(s))
        if form.mode.data is None and needs_choice(s):
            form.mode.data = default_choice(s, summary, user, series)
        forms[s.id] = form
    return forms


class ModeForm(AppForm):
    """Switch one session's place to another choice: the other mode, or another venue."""

    mode = HiddenField()


class ClaimForm(AppForm):
    code = StringField(
        _l("Code from the organiser"),
        description=_l("10 letters and numbers, e.g. ABCDE-23456"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 40},
    )
