"""Reading one field of a series' or session's input (a plain dict from a form or the API).

Each reader returns the clean value, or the default after adding a message to the Errors under
the field's name; Errors.check() raises them all at once as ValidationFailed.
"""

from datetime import datetime
from urllib.parse import urlparse

from flask_babel import lazy_gettext as _l

from app.core.errors import ValidationFailed
from app.core.text import single_line
from app.core.types import OUT_OF_RANGE, in_supported_range

TEXT_MAX = 20000


def merged_input(data: dict, current, fields: tuple[str, ...]) -> dict:
    """The current values of those fields (none for a new object) with the input's over them:
    a change may give only the fields it changes."""
    values = {f: getattr(current, f) for f in fields} if current else {}
    return {**values, **{k: v for k, v in data.items() if k in fields}}


class Errors(dict):
    def add(self, field, message):
        self.setdefault(field, []).append(message)

    def check(self):
        if self:
            raise ValidationFailed(fields=dict(self))


def line_field(errors, data, field, max_length, *, required=False, default=""):
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


def text_field(errors, data, field, default=""):
    value = data.get(field)
    if value is None:
        return default
    value = str(value).replace("\r\n", "\n")
    if len(value) > TEXT_MAX or "\x00" in value:
        errors.add(field, _l("Use at most %(n)d characters.", n=TEXT_MAX))
        return default
    return value.strip()


def time_field(errors, data, field, *, required=False):
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


def int_field(errors, data, field, *, minimum=0, maximum=100000, allow_none=True):
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


def choice_field(errors, data, field, enum_cls, default):
    value = data.get(field)
    if value in (None, ""):
        return default
    try:
        return enum_cls(value)
    except ValueError:
        errors.add(field, _l("Choose one of: %(v)s.", v=", ".join(e.value for e in enum_cls)))
        return default


def url_field(errors, data, field):
    value = line_field(errors, data, field, 500)
    if value and urlparse(value).scheme not in ("http", "https"):
        errors.add(field, _l("Enter an address starting with https://."))
        return ""
    return value
