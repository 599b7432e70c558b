"""Organiser forms for participants: the list's filters, adding a person by hand, emailing.

They only collect input; app.registration.manage_services and services decide what is valid.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SearchField, SelectField, StringField, TextAreaField

from app.accounts.forms import _PersonFields
from app.core.forms import AppForm, MultiCheckboxField, Needed, apply_errors, choices
from app.core.prefectures import prefecture_choices
from app.events.models import QuestionKind
from app.registration.manage_services import STATUS_LABELS
from app.registration.services import mode_label
from app.registration.venues import place_options, several_venues, split_choice

#: the status filter: "" is everyone not cancelled, "all" includes the cancelled
STATUS_FILTERS = (
    ("", _l("All but cancelled")),
    *((s.value, label) for s, label in STATUS_LABELS.items()),
    ("all", _l("All, with cancelled")),
)


class FilterForm(AppForm):
    """The participant list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"),
        description=_l("Name, furigana or email"),
        render_kw={"maxlength": 100},
    )
    status = SelectField(_l("Status"), choices=choices(STATUS_FILTERS), validate_choice=False)
    mode = SelectField(
        _l("Attends"),
        choices=choices([("", _l("Venue or online")), ("venue", _l("At the venue")),
                         ("online", _l("Online"))]),
        validate_choice=False,
    )  # fmt: skip
    prefecture = SelectField(_l("Prefecture"), choices=[], validate_choice=False)
    session = SelectField(_l("Session"), choices=[], validate_choice=False)

    def __init__(self, *args, series, session=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefecture.choices = choices([("", _l("All prefectures")), *prefecture_choices()])
        if session is None:
            self.session.choices = choices(
                [("", _l("Any session")), *((str(s.id), s.title) for s in series.sessions)]
            )
        else:
            del self.session  # the page is that session's list


class MessageForm(AppForm):
    subject = StringField(_l("Subject"), render_kw={"maxlength": 200})
    body = TextAreaField(_l("Message"), render_kw={"rows": 8})


class _AddParticipantBase(_PersonFields, AppForm):
    email = EmailField(
        _l("Email address"),
        description=_l(
            "Optional. We email them a link to confirm; once they do, the registration joins "
            "their own account."
        ),
    )

    consent = BooleanField(_l("They agreed to the privacy notice (read it to them by phone)"))

    def show_errors(self, fields: dict) -> None:
        """The service's answers.<id> errors belong to the q_<id> fields."""
        renamed = {}
        for key, messages in fields.items():
            if key.startswith("answers."):
                key = "q_" + key.removeprefix("answers.")
            renamed[key] = messages
        apply_errors(self, renamed)

    def person(self) -> dict:
        return {
            "name": self.name.data,
            "furigana": self.furigana.data,
            "prefecture": self.prefecture.data,
            "relations": self.relations.data or [],
            "email": self.email.data,
        }

    def places(self) -> tuple[dict[int, str], list[int]]:
        """{session_id: mode} and the sessions chosen, from the mode_<id> selects."""
        modes, session_ids = {}, []
        for session in self.sessions:
            value = getattr(self, f"mode_{session.id}").data or ""
            if value:
                modes[session.id] = split_choice(value)[0]
                session_ids.append(session.id)
        return modes, session_ids

    def venues(self) -> dict[int, int]:
        """{session_id: venue_id} where the organiser chose one of several venues."""
        chosen = {s.id: split_choice(getattr(self, f"mode_{s.id}").data)[1] for s in self.sessions}
        return {sid: v for sid, v in chosen.items() if v is not None}

    def answers(self) -> dict:
        return {str(q.id): getattr(self, f"q_{q.id}").data for q in self.questions}


def add_participant_form(series, sessions, **kwargs) -> _AddParticipantBase:
    """The add-by-hand form for this series: where, for each upcoming session (venue or online,
    or which venue; or "does not come" when people choose their sessions), and a field per
    question."""
    choose = series.scope.value == "session"

    class AddParticipantForm(_AddParticipantBase):
        pass

    for session in sessions:
        several = several_venues(session)
        options = [
            (value, venue.name if several and venue is not None else mode_label(mode))
            for value, mode, venue in place_options(session)
        ]
        if choose:
            options = [("", _l("Does not come")), *options]
        elif len(options) == 1:
            continue  # nothing to choose: the session is held one way
        setattr(
            AddParticipantForm,
            f"mode_{session.id}",
            SelectField(session.title, choices=choices(options), validate_choice=False),
        )
    for q in series.questions:
        marks = [Needed()] if q.required else []  # 「必須」 in the label or legend
        if q.kind is QuestionKind.text:
            field = TextAreaField(q.label, marks, render_kw={"rows": 2})
        elif q.kind is QuestionKind.single:
            field = SelectField(
                q.label,
                marks,
                choices=choices([("", "—"), *((o, o) for o in q.options)]),
                validate_choice=False,
            )
        else:
            field = MultiCheckboxField(q.label, marks, choices=choices((o, o) for o in q.options))
        setattr(AddParticipantForm, f"q_{q.id}", field)
    form = AddParticipantForm(**kwargs)
    form.sessions = [s for s in sessions if hasattr(form, f"mode_{s.id}")]
    form.questions = list(series.questions)
    form._fill_choices()
    return form
