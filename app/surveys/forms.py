"""The organisers' survey forms and the respondent's form. The services decide what is valid;
the forms carry the values and show the messages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import NumberInput

from app.core.forms import AppForm, MultiCheckboxField, Needed, choices
from app.surveys.models import QuestionType

WHOLE_SERIES = "series"
QUESTION_TYPES = {
    QuestionType.scale: _l("5-point scale"),
    QuestionType.single: _l("Single choice"),
    QuestionType.multiple: _l("Multiple choice"),
    QuestionType.text: _l("Free text"),
}
AUDIENCE = (
    ("venue", _l("Attended at the venue")),
    ("online", _l("Attended online")),
    ("partial", _l("Partly online (below the series' threshold)")),
    ("archive", _l("Watched the archive for 5 minutes or more (without attending live)")),
)


class NewSurveyForm(AppForm):
    title = StringField(_l("Title"), validators=[Needed()])
    target = SelectField(_l("For"), validate_choice=False)

    def set_sessions(self, series):
        self.target.choices = choices(
            [(WHOLE_SERIES, _l("The whole series"))]
            + [(str(s.id), s.title) for s in series.sessions if not s.is_cancelled]
        )


class SettingsForm(AppForm):
    privacy = RadioField(
        _l("Answers"),
        choices=choices(
            [
                ("named", _l("Named: organisers see who answered what; people can change "
                             "their answers until the survey closes")),
                ("anonymous", _l("Anonymous: nobody can see who answered what; answers "
                                 "cannot be changed once sent")),
            ]
        ),
        default="named",
        validate_choice=False,
    )  # fmt: skip
    audience = MultiCheckboxField(
        _l("Send it to"),
        choices=choices(AUDIENCE),
        description=_l("From the attendance records and the archive viewing."),
    )
    open_days = IntegerField(
        _l("Open for (days after sending)"),
        widget=NumberInput(min=1, max=90),
        default=14,
        validators=[Optional()],
    )


class QuestionForm(AppForm):
    kind = SelectField(
        _l("Type"),
        choices=choices([(k.value, label) for k, label in QUESTION_TYPES.items()]),
        validate_choice=False,
    )
    label = StringField(_l("Question"), validators=[Needed()])
    choices_text = TextAreaField(
        _l("Options (single and multiple choice), one a line"), render_kw={"rows": 3}
    )
    required = BooleanField(_l("An answer is required"))
