"""Sections that areas above attendance add to its figures pages (the series dashboard and the
年度 report), without attendance importing them: such an area registers a function at app
start that returns its section (a template of its own and the values it shows) or None. The
page includes the template, autoescaped like the rest of it. The surveys' programme figures
come in this way (app/surveys/programme.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    #: a template of the registering area, included with `ctx` bound to `context`
    template: str
    context: dict = field(default_factory=dict)


#: name -> fn(series) -> Section or None
_SERIES: dict[str, Callable[..., Section | None]] = {}
#: name -> fn(org_id, year, sessions of the year) -> Section or None
_YEAR: dict[str, Callable[..., Section | None]] = {}


def add_series_section(name: str, build: Callable[..., Section | None]) -> None:
    _SERIES[name] = build


def add_year_section(name: str, build: Callable[..., Section | None]) -> None:
    _YEAR[name] = build


def series_sections(series) -> list[Section]:
    return [s for build in _SERIES.values() if (s := build(series))]


def year_sections(org_id: int, year: int, sessions) -> list[Section]:
    return [s for build in _YEAR.values() if (s := build(org_id, year, sessions))]
