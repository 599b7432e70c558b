"""The programme figures (関係人口): of those who answered the shared questions, the share who
want to come again, visit the region, take part in local activities or consider living there
(4 or 5 on the 5-point scale), per series and for the 年度. One query each.

Shown on the series dashboard and the 年度 report through app.attendance.sections (attendance
never imports surveys): `register()` is called at app start.
"""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from app.attendance.sections import Section, add_series_section, add_year_section
from app.extensions import db
from app.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyStatus
from app.surveys.presets import AGREE_FROM, FIGURE_KEYS, KEY_LABELS


@dataclass
class Figure:
    key: str
    answered: int
    agreed: int

    @property
    def label(self):
        return KEY_LABELS[self.key]

    @property
    def percent(self) -> int:
        return round(100 * self.agreed / self.answered) if self.answered else 0


def _query(where):
    return (
        select(
            Survey.series_id,
            SurveyQuestion.key,
            func.count(SurveyAnswer.id),
            func.sum(case((SurveyAnswer.choice >= AGREE_FROM, 1), else_=0)),
        )
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(Survey, Survey.id == SurveyQuestion.survey_id)
        .where(SurveyQuestion.key.in_(FIGURE_KEYS), Survey.status != SurveyStatus.draft, where)
        .group_by(Survey.series_id, SurveyQuestion.key)
    )


def _figures(rows) -> dict[int, dict[str, Figure]]:
    found: dict[int, dict[str, Figure]] = {}
    for series_id, key, answered, agreed in rows:
        found.setdefault(series_id, {})[key] = Figure(key, answered, int(agreed or 0))
    return found


def _ordered(by_key: dict[str, Figure]) -> list[Figure]:
    return [by_key.get(k, Figure(k, 0, 0)) for k in FIGURE_KEYS]


def series_figures(series_id: int) -> list[Figure] | None:
    found = _figures(db.session.execute(_query(Survey.series_id == series_id)))
    return _ordered(found[series_id]) if series_id in found else None


def year_figures(sessions) -> tuple[list[tuple[object, list[Figure]]], list[Figure]] | None:
    """Per series (those with sessions in the year) and the year's total; None: no answers.
    A survey counts in the year of its session, a whole series' survey in each year the series
    has sessions."""
    session_ids = [s.id for s in sessions]
    series = {s.series_id: s.series for s in sessions}
    if not session_ids:
        return None
    where = or_(
        Survey.session_id.in_(session_ids),
        Survey.session_id.is_(None) & Survey.series_id.in_(list(series)),
    )
    found = _figures(db.session.execute(_query(where)))
    if not found:
        return None
    total: dict[str, Figure] = {}
    for by_key in found.values():
        for key, f in by_key.items():
            t = total.setdefault(key, Figure(key, 0, 0))
            t.answered += f.answered
            t.agreed += f.agreed
    per_series = [(series[sid], _ordered(by_key)) for sid, by_key in found.items()]
    per_series.sort(key=lambda pair: pair[0].title)
    return per_series, _ordered(total)


def _series_section(series):
    figures = series_figures(series.id)
    return Section("surveys/_programme_series.html", {"series": series, "figures": figures})


def _year_section(org_id: int, year: int, sessions):
    found = year_figures(sessions)
    return Section(
        "surveys/_programme_year.html",
        {"org_id": org_id, "year": year, "found": found, "keys": FIGURE_KEYS,
         "key_labels": KEY_LABELS},
    )  # fmt: skip


def register() -> None:
    add_series_section("survey_figures", _series_section)
    add_year_section("survey_figures", _year_section)
