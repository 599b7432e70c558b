"""Sections that areas above attendance add to its figures pages (the series dashboard and the
年度 report), without attendance importing them: such an area registers a function at app
start that renders its section's HTML (or None for nothing). The surveys' programme figures
come in this way (app/surveys/programme.py)."""

from collections.abc import Callable

from markupsafe import Markup

#: name -> fn(series) -> HTML or None
_SERIES: dict[str, Callable] = {}
#: name -> fn(org_id, year, sessions of the year) -> HTML or None
_YEAR: dict[str, Callable] = {}


def add_series_section(name: str, render: Callable) -> None:
    _SERIES[name] = render


def add_year_section(name: str, render: Callable) -> None:
    _YEAR[name] = render


def series_sections(series) -> list[Markup]:
    # the sections are rendered by templates (autoescaped): HTML to insert as it is
    return [Markup(html) for r in _SERIES.values() if (html := r(series))]  # noqa: S704


def year_sections(org_id: int, year: int, sessions) -> list[Markup]:
    return [Markup(html) for r in _YEAR.values() if (html := r(org_id, year, sessions))]  # noqa: S704
