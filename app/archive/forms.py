from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.widgets import NumberInput, URLInput

from app.core.forms import AppForm


class ArchiveForm(AppForm):
    url = StringField(
        _l("Recording address"),
        description=_l(
            "A YouTube video (unlisted is fine), a Vimeo video, or a video file on https "
            "(.mp4, .webm). Only the people registered for the session see it."
        ),
        widget=URLInput(),
        render_kw={"maxlength": 500, "autocomplete": "off"},
    )
    days = StringField(
        _l("Available for this many days"),
        description=_l("From publication (or the end of the session). 14 days by default."),
        widget=NumberInput(min=1, max=365),
        default="14",
    )
    venue_allowed = BooleanField(
        _l("People registered for the venue may watch it too"),
        description=_l("Off: only the people registered online."),
    )
    published = BooleanField(
        _l("Publish"),
        description=_l(
            "The people who may watch it see it on My page and are mailed once, the first "
            "time it is published."
        ),
    )

    def service_data(self) -> dict:
        days = (self.days.data or "").strip()
        return {
            "url": self.url.data or "",
            "days": int(days) if days.isdigit() and len(days) < 6 else (days or None),
            "venue_allowed": bool(self.venue_allowed.data),
            "published": bool(self.published.data),
        }

    @staticmethod
    def initial(archive) -> dict:
        if archive is None:
            return {"days": "14"}
        return {
            "url": archive.source_url,
            "days": str(archive.days),
            "venue_allowed": archive.venue_allowed,
            "published": archive.published_at is not None,
        }
