"""A survey's results for organisers (response rate, distributions split by how people
attended and new vs returning, free text), and its responses as CSV or Excel: POST buttons
that leave an audit record (the files may hold names), like the participants' CSV."""

from flask import Blueprint, Response, g, redirect, render_template, url_for

from app.audit.services import record
from app.core.csvfile import csv_response
from app.core.forms import ActionForm
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.surveys import files
from app.surveys.forms import QUESTION_TYPES
from app.surveys.results import results
from app.surveys.views import SURVEY, survey_of

bp = Blueprint("survey_results", __name__)
organizers = org_role_required(Role.organizer)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route(f"{SURVEY}/results")
@organizers
def results_page(org_id: int, series_id: int, survey_id: int):
    series, survey = survey_of(org_id, series_id, survey_id)
    return render_template(
        "surveys/results.html",
        org=g.org,
        series=series,
        survey=survey,
        found=results(survey),
        action_form=ActionForm(),
        question_types=QUESTION_TYPES,
    )


def _audit(survey, kind: str) -> None:
    record("survey.exported", org=g.org, survey=survey.id, file=kind, anonymous=survey.anonymous)
    db.session.commit()


@bp.route(f"{SURVEY}/responses.csv", methods=["POST"])
@organizers
def export_csv(org_id: int, series_id: int, survey_id: int):
    _series, survey = survey_of(org_id, series_id, survey_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".results_page", org_id=org_id, series_id=series_id,
                                survey_id=survey_id))  # fmt: skip
    _audit(survey, "csv")
    return csv_response(
        files.header(survey), files.rows(survey), f"kakawari-survey-{survey.id}.csv"
    )


@bp.route(f"{SURVEY}/responses.xlsx", methods=["POST"])
@organizers
def export_xlsx(org_id: int, series_id: int, survey_id: int):
    _series, survey = survey_of(org_id, series_id, survey_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".results_page", org_id=org_id, series_id=series_id,
                                survey_id=survey_id))  # fmt: skip
    data, _rows = files.to_xlsx(survey)
    _audit(survey, "xlsx")
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="kakawari-survey-{survey.id}.xlsx"'},
    )
