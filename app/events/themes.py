"""The labels of a series' theme (app.events.models.Theme), for forms, pages and the portal."""

from flask_babel import lazy_gettext as _l

from app.events.models import Theme

THEME_LABELS = {
    Theme.migration: _l("Moving or living in two places"),
    Theme.community: _l("Community and town building"),
    Theme.food: _l("Farming, forestry, fishing and food"),
    Theme.culture: _l("Tourism and culture"),
    Theme.work: _l("Work and starting a business"),
    Theme.education: _l("Children and education"),
    Theme.environment: _l("Disaster prevention and environment"),
    Theme.other: _l("Other"),
}


def theme_label(value) -> str:
    """The label of a theme (its value or member); empty without one."""
    if not value:
        return ""
    try:
        return str(THEME_LABELS[Theme(value)])
    except ValueError:
        return ""
