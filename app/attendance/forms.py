"""Attendance labels and the organiser's correction form.

The form only collects input: app.attendance.services.override() decides what is valid.
"""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField, StringField

from app.attendance.models import AttendanceStatus
from app.attendance.services import REASON_MAX
from app.core.forms import AppForm, choices
from app.core.text import has_control_chars

S = AttendanceStatus
STATUS_LABELS = {
    S.attended_venue: _l("Attended at the venue"),
    S.attended_online: _l("Attended online"),
    S.partial: _l("Partly online"),
    S.absent: _l("No-show"),
    S.excused: _l("Excused (cancelled in time)"),
}
#: the correction form's "" choice: no override, what the check-ins and the room say
AUTOMATIC = ""
SEARCH_MAX = 100


def status_label(status) -> str:
    return STATUS_LABELS[AttendanceStatus(status)]


class CorrectionForm(AppForm):
    """One record's correction: a status (or back to automatic) and why."""

    status = SelectField(
        _l("Correct to"),
        choices=choices(
            [(AUTOMATIC, _l("Automatic (check-ins and time online)")),
             *((s.value, label) for s, label in STATUS_LABELS.items())]
        ),
        validate_choice=False,
    )  # fmt: skip
    reason = StringField(
        _l("Reason"),
        description=_l("Required, e.g. “signed the paper list at the door”."),
        render_kw={"maxlength": REASON_MAX},
    )

    def chosen_status(self) -> str | None:
        return self.status.data or None


class StatusFilterForm(AppForm):
    """The people table's filter, search and order, from the query string (GET: no CSRF
    token)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"),
        description=_l("Name, furigana or email"),
        render_kw={"maxlength": SEARCH_MAX},
    )
    status = SelectField(
        _l("Status"),
        choices=choices(
            [("", _l("Everyone")), *((s.value, label) for s, label in STATUS_LABELS.items())]
        ),
        validate_choice=False,
    )
    sort = SelectField(
        _l("Order"),
        choices=choices(
            [("furigana", _l("Furigana, ascending")), ("-furigana", _l("Furigana, descending"))]
        ),
        validate_choice=False,
    )

    def chosen_status(self) -> AttendanceStatus | None:
        try:
            return AttendanceStatus(self.status.data) if self.status.data else None
        except ValueError:
            return None  # an unknown value in the URL shows everyone

    def search(self) -> str:
        """What to look for, on one line; "" (everyone) for text with control characters, which
        nobody types (and PostgreSQL refuses a NUL)."""
        text = unicodedata.normalize("NFKC", self.q.data or "")
        return "" if has_control_chars(text) else " ".join(text.split())[:SEARCH_MAX]

    def descending(self) -> bool:
        return self.sort.data == "-furigana"
