from flask_babel import lazy_gettext as _l
from wtforms import URLField

from app.core.forms import AppForm, MultiCheckboxField, Needed, choices
from app.webhooks.outbox import EVENT_TYPES


class EndpointForm(AppForm):
    url = URLField(
        _l("Address (URL)"),
        validators=[Needed()],
        description=_l("Where the events are sent, e.g. https://example.jp/kakawari-webhook"),
        render_kw={"maxlength": 2000, "autocomplete": "url", "spellcheck": "false"},
    )
    events = MultiCheckboxField(
        _l("Events"),
        validators=[Needed()],
        choices=choices(EVENT_TYPES.items()),
    )
