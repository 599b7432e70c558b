"""Organisers' figures: a series' dashboard, and the organisation's 年度 report with its CSV and
Excel files. Organisers and owners only (staff 403, other organisations 404)."""

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.attendance import report_exports as exports
from app.attendance import reports
from app.attendance.sections import series_sections, year_sections
from app.attendance.series_dashboard import series_dashboard as build_dashboard
from app.audit.services import record
from app.core.csvfile import csv_response
from app.core.errors import NotFound, ValidationFailed
from app.core.prefectures import RELATIONS, prefecture_name
from app.events import services as events
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role

bp = Blueprint("attendance_reports", __name__)
organizers = org_role_required(Role.organizer)
REPORTS = "/orgs/<int:org_id>/reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the CSV tables with people's names in them: POST only, audited
AUDITED = ("participants",)


# --- the series dashboard ----------------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/series/<int:series_id>/dashboard")
@organizers
def series_dashboard(org_id: int, series_id: int):
    series = events.get_series(series_id, org_id=org_id)
    board = build_dashboard(series)
    return render_template(
        "attendance/series_dashboard.html",
        org=g.org,
        series=series,
        board=board,
        relation_labels=RELATIONS,
        charts=_charts(board),
        extra_sections=series_sections(series),
    )


def _charts(board) -> dict:
    """What static/js/dashboard_charts.js draws; the page's tables hold the same numbers."""
    sessions = board.sessions
    held = [f for f in sessions if f.retained is not None]
    people = _("People")

    def column(key):
        return [f.counts[key] for f in sessions]

    return {
        "sessions": {
            "labels": [f.session.title for f in sessions],
            "series": [
                {"label": _("Attended at the venue"), "data": column("attended_venue")},
                {"label": _("Attended online"), "data": column("attended_online")},
                {"label": _("Partly online"), "data": column("partial")},
                {"label": _("Absent"), "data": column("absent")},
            ],
            "stacked": True,
        },
        "retention": {
            "labels": [f.session.title for f in held],
            "series": [
                {"label": _("Attendees of the first session"), "data": [f.retained for f in held]}
            ],
        },
        "funnel": {
            "labels": [_("%(n)d or more", n=k) for k, _n in board.funnel],
            "series": [{"label": people, "data": [n for _k, n in board.funnel]}],
        },
        "prefectures": {
            "labels": [prefecture_name(code) or _("Unknown") for code, _n in board.prefectures],
            "series": [{"label": people, "data": [n for _c, n in board.prefectures]}],
            "horizontal": True,
        },
        "relations": {
            "labels": [str(RELATIONS.get(code, code)) for code, _n in board.relations],
            "series": [{"label": people, "data": [n for _c, n in board.relations]}],
            "horizontal": True,
        },
    }


# --- the organisation's 年度 report -------------------------------------------------------------


def _year_or_error(org_id: int):
    """The 年度 asked for, or the report page saying what is wrong with it."""
    try:
        return reports.parse_fiscal_year(request.values.get("year")), None
    except ValidationFailed as exc:
        page = render_template(
            "attendance/org_report.html",
            org=g.org,
            report=None,
            error=exc.fields["year"][0],
            years=reports.years_with_sessions(org_id),
            year=None,
        )
        return None, (page, exc.status)


def _report(org_id: int, year: int):
    sessions = reports.year_sessions(org_id, year)
    return sessions, reports.org_report(org_id, year, sessions)


@bp.route(REPORTS)
@organizers
def org_report(org_id: int):
    year, failed = _year_or_error(org_id)
    if failed:
        return failed
    sessions, report = _report(org_id, year)
    return render_template(
        "attendance/org_report.html",
        org=g.org,
        report=report,
        error=None,
        years=reports.years_with_sessions(org_id),
        year=year,
        extra_sections=year_sections(org_id, year, sessions),
    )


@bp.route(f"{REPORTS}/export.csv")
@organizers
def org_report_csv(org_id: int):
    """A table of counts (nobody's name in it), streamed. The participants' table is a POST
    (it leaves an audit record): an old link to it lands on the report page and its button."""
    table = request.args.get("table", "summary")
    if table not in exports.TABLES:
        raise NotFound()
    if table in AUDITED:
        return _back_to_report(org_id)
    year, failed = _year_or_error(org_id)
    if failed:
        return failed
    _sessions, report = _report(org_id, year)
    return csv_response(
        exports.HEADERS[table],
        exports.csv_rows(table, report, ()),
        f"kakawari-report-{year}-{table}.csv",
    )


@bp.route(f"{REPORTS}/export.csv", methods=["POST"])
@organizers
def org_report_participants_csv(org_id: int):
    """The participants, streamed: read from the database in batches as the file goes out.
    Their number is counted first for the audit record, committed before the file starts."""
    if request.values.get("table", "participants") not in AUDITED:
        raise NotFound()
    year, failed = _year_or_error(org_id)
    if failed:
        return failed
    sessions = reports.year_sessions(org_id, year)
    people = reports.iter_participant_lines(org_id, year, sessions)  # the query is made here
    _audit(year, "participants", reports.participant_count(sessions))
    return csv_response(
        exports.HEADERS["participants"],
        exports.csv_rows("participants", None, people),
        f"kakawari-report-{year}-participants.csv",
    )


@bp.route(f"{REPORTS}/export.xlsx")
@organizers
def org_report_xlsx_link(org_id: int):
    """The workbook holds the participants: a POST (audited); an old link lands on the page."""
    return _back_to_report(org_id)


@bp.route(f"{REPORTS}/export.xlsx", methods=["POST"])
@organizers
def org_report_xlsx(org_id: int):
    year, failed = _year_or_error(org_id)
    if failed:
        return failed
    sessions, report = _report(org_id, year)
    data, rows = exports.to_xlsx(report, reports.iter_participant_lines(org_id, year, sessions))
    _audit(year, "xlsx", rows)
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="kakawari-report-{year}.xlsx"'},
    )


def _back_to_report(org_id: int):
    year = request.args.get("year")
    return redirect(url_for(".org_report", org_id=org_id, **({"year": year} if year else {})))


def _audit(year: int, table: str, rows: int) -> None:
    """Files with people's names in them leave a trace in the security log: the download is a
    POST that records it and commits, once, before the file goes out."""
    record("report.exported", org=g.org, year=year, table=table, rows=rows)
    db.session.commit()
