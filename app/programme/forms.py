from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectField

from app.core.forms import AppForm, choices

KIND_LABELS = {
    "org": _l("An organisation (e.g. the prefecture or city that commissions the programme)"),
    "person": _l("One person"),
}


class ViewerInviteForm(AppForm):
    email = EmailField(_l("Email address"))
    kind = RadioField(
        _l("Who views"),
        choices=choices(KIND_LABELS.items()),
        default="org",
        validate_choice=False,
    )


class AcceptForm(AppForm):
    viewer_org = SelectField(_l("View as"), validate_choice=False)
