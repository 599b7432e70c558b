"""What a viewer (委託元) sees: the figures of an organisation's programme series, as
aggregates only, every number passed through suppression.py.

The figures come from the organisers' own queries (app/attendance reports and series dashboard,
app/surveys results and programme figures), which count and never name; the survey results are
read without their free text. Raw counts never leave this module: each read function returns
`Shown` values, so a page, the CSV and the API can only show what suppression allows.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.attendance.reports import org_report, year_sessions
from app.attendance.series_dashboard import series_dashboard
from app.core.errors import NotFound
from app.core.prefectures import PREFECTURES, RELATIONS
from app.events.models import Series, SeriesStatus, SessionStatus
from app.extensions import db
from app.orgs.models import Organization
from app.programme.suppression import Shown, count, mean, percent, total
from app.surveys import programme as survey_figures
from app.surveys.models import QuestionType, Survey, SurveyStatus
from app.surveys.presets import KEY_LABELS
from app.surveys.results import results

#: the 年度 report's figures a viewer sees, in order: (key, label)
KPI_ROWS = (
    ("participants", _l("Participants (attended at least one session)")),
    ("continuing_sessions", _l("Continuing participants: attended two or more sessions")),
    ("continuing_series", _l("Continuing participants: attended two or more series")),
    ("completions", _l("Completions (series ending in the year)")),
    ("venue_only", _l("Venue only")),
    ("online_only", _l("Online only")),
    ("both", _l("Both venue and online")),
    ("archive_viewers", _l("Archive viewers (apart from attendance)")),
)


@dataclass
class Row:
    """One figure across the organisations viewed: a cell per organisation and their sum."""

    key: str
    label: object
    cells: list[Shown]
    sum: Shown


@dataclass
class SeriesLine:
    series_id: int
    title: str
    sessions: int  # how many sessions in the 年度: no person is counted in it
    participants: Shown
    completions: Shown
    archive_viewers: Shown


@dataclass
class OrgYear:
    org: Organization
    series: list[SeriesLine]


@dataclass
class ProgrammeYear:
    """The programme page: each organisation viewed side by side, and their sum."""

    year: int
    orgs: list[OrgYear]
    kpis: list[Row]
    #: 都道府県 with anybody in them: participants per organisation and the sum
    prefectures: list[Row]
    #: the shared 関係人口 survey questions: the share who agreed (4 or 5 of 5)
    survey: list[Row]


def programme_series(org_id: int) -> list[Series]:
    """The organisation's series marked as part of the programme (drafts are not shown)."""
    return db.session.scalars(
        select(Series)
        .where(
            Series.org_id == org_id,
            Series.in_programme.is_(True),
            Series.status != SeriesStatus.draft,
        )
        .order_by(Series.id)
    ).all()


def _row(key, label, raw: list[int]) -> Row:
    return Row(key, label, [count(n) for n in raw], total(raw))


def programme_year(orgs: list[Organization], year: int) -> ProgrammeYear:
    """The 年度 summary of each organisation's programme series, side by side, with the sum
    across them (a person taking part with two organisations counts in each)."""
    kpis: dict[str, list[int]] = {key: [] for key, _ in KPI_ROWS}
    prefectures: dict[str, list[int]] = {}
    agreed: dict[str, list[tuple[int, int]]] = {key: [] for key in KEY_LABELS}
    org_years = []
    for i, org in enumerate(orgs):
        series_ids = [s.id for s in programme_series(org.id)]
        sessions = [s for s in year_sessions(org.id, year) if s.series_id in series_ids]
        report = org_report(org.id, year, sessions, series_ids)
        for key, _label in KPI_ROWS:
            kpis[key].append(getattr(report.kpis, key))
        for code, people, _continuing in report.prefectures:
            prefectures.setdefault(code, [0] * len(orgs))[i] += people
        found = survey_figures.year_figures(sessions)
        by_key = {f.key: f for f in found[1]} if found else {}
        for key in agreed:
            f = by_key.get(key)
            agreed[key].append((f.agreed, f.answered) if f else (0, 0))
        lines = [
            SeriesLine(
                line.series_id,
                line.title,
                line.sessions,
                count(line.participants),
                count(line.completions),
                count(line.archive_viewers),
            )
            for line in report.series
        ]
        org_years.append(OrgYear(org, lines))
    order = [code for code, _, _ in PREFECTURES] + [""]
    return ProgrammeYear(
        year=year,
        orgs=org_years,
        kpis=[_row(key, label, kpis[key]) for key, label in KPI_ROWS],
        prefectures=[
            _row(code, code, prefectures[code]) for code in order if any(prefectures.get(code, []))
        ],
        survey=[
            Row(
                key,
                KEY_LABELS[key],
                [percent(a, n) for a, n in pairs],
                percent(sum(a for a, _ in pairs), sum(n for _, n in pairs)),
            )
            for key, pairs in agreed.items()
            if any(n for _, n in pairs)
        ],
    )


# --- one series --------------------------------------------------------------------------


@dataclass
class SessionLine:
    title: str
    starts_at: object
    held: bool
    registered: Shown
    venue: Shown  # places at the venue
    online: Shown  # places online
    attended_venue: Shown
    attended_online: Shown
    partial: Shown
    absent: Shown
    archive_viewers: Shown


@dataclass
class OptionLine:
    label: str
    people: Shown
    share: Shown


@dataclass
class QuestionLine:
    label: str
    answered: Shown
    options: list[OptionLine]
    mean: Shown | None = None


@dataclass
class SurveyLine:
    title: str
    sent: Shown
    responded: Shown
    rate: Shown
    questions: list[QuestionLine] = field(default_factory=list)


@dataclass
class SeriesFigures:
    series: Series
    sessions: list[SessionLine]
    participants: Shown
    completions: Shown
    required: int | None
    new: Shown
    returning: Shown
    #: (k, people who attended at least k sessions)
    funnel: list[tuple[int, Shown]]
    prefectures: list[tuple[str, Shown]]
    relations: list[tuple[str, Shown]]
    surveys: list[SurveyLine]


def viewed_series(org_id: int, series_id: int) -> Series:
    """A programme series of the organisation; NotFound for any other series."""
    series = db.session.get(Series, series_id)
    if (
        series is None
        or series.org_id != org_id
        or not series.in_programme
        or series.status is SeriesStatus.draft
    ):
        raise NotFound()
    return series


def series_figures(series: Series) -> SeriesFigures:
    """The series dashboard's figures and its surveys' distributions (no free text)."""
    board = series_dashboard(series)
    sessions = [
        SessionLine(
            f.session.title,
            f.session.starts_at,
            f.session.status is SessionStatus.scheduled,
            count(f.counts["registered"]),
            count(f.counts["venue"]),
            count(f.counts["online"]),
            count(f.counts["attended_venue"]),
            count(f.counts["attended_online"]),
            count(f.counts["partial"]),
            count(f.counts["absent"]),
            count(f.archive_people),
        )
        for f in board.sessions
    ]
    return SeriesFigures(
        series=series,
        sessions=sessions,
        participants=count(board.participants),
        completions=count(board.completions),
        required=board.required,
        new=count(board.new),
        returning=count(board.returning),
        funnel=[(k, count(n)) for k, n in board.funnel],
        prefectures=[(code, count(n)) for code, n in board.prefectures],
        relations=[(code, count(n)) for code, n in board.relations if code in RELATIONS],
        surveys=[_survey_line(s) for s in _surveys(series)],
    )


def _surveys(series: Series) -> list[Survey]:
    return db.session.scalars(
        select(Survey)
        .where(Survey.series_id == series.id, Survey.status != SurveyStatus.draft)
        .order_by(Survey.id)
        .options(selectinload(Survey.questions))
    ).all()


def _survey_line(survey: Survey) -> SurveyLine:
    found = results(survey, with_names=False, with_texts=False)
    line = SurveyLine(
        survey.title,
        count(found.sent.get("all", 0)),
        count(found.responded.get("all", 0)),
        percent(found.responded.get("all", 0), found.sent.get("all", 0)),
    )
    for q in found.questions:
        if q.question.kind is QuestionType.text:
            continue  # free text is never shown to a viewer, not even how it reads
        answered = q.answered.get("all", 0)
        options = [
            OptionLine(o.label, count(o.counts["all"]), percent(o.counts["all"], answered))
            for o in q.options
        ]
        scale = None
        if q.question.kind is QuestionType.scale:
            points = sum((i + 1) * o.counts["all"] for i, o in enumerate(q.options))
            scale = mean(points, answered)
        line.questions.append(QuestionLine(q.question.label, count(answered), options, scale))
    return line
