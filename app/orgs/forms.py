from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.widgets import TimeInput

from app.core.forms import AppForm, choices
from app.orgs.models import ROLE_LABELS, Role


class OrgForm(AppForm):
    name = StringField(
        _l("Organisation name"),
        description=_l("e.g. しまね関係人口ラボ, 〇〇市 地域振興課"),
        render_kw={"maxlength": 120},
    )


class InviteForm(AppForm):
    email = EmailField(_l("Email address"))
    role = SelectField(
        _l("Role"),
        choices=choices((r.value, ROLE_LABELS[r]) for r in (Role.organizer, Role.staff)),
        default=Role.staff.value,
    )


class RoleForm(AppForm):
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in Role))


class OrgSettingsForm(AppForm):
    reminder_time = StringField(
        _l("Day-before reminders go out at"),
        description=_l(
            "Japan time, on the day before each session (e.g. 18:00). Each series can switch "
            "reminders off on its edit page."
        ),
        widget=TimeInput(),
    )
