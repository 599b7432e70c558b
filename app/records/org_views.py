"""The organisation's page of 関わり証明: for a 年度, the people (who agreed at registration)
with at least N activities in its programme; N is the organisation's setting."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.attendance import reports
from app.core.errors import ValidationFailed
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.records import programme

bp = Blueprint("records_org", __name__)

organizers = org_role_required(Role.organizer)
PAGE = "/orgs/<int:org_id>/records"


@bp.route(PAGE)
@organizers
def people(org_id: int):
    error, status = None, 200
    try:
        year = reports.parse_fiscal_year(request.args.get("year"))
    except ValidationFailed as exc:
        year, error, status = reports.parse_fiscal_year(None), exc.message, 422
    n = programme.min_activities(org_id)
    page = render_template(
        "records/org_people.html",
        org=g.org,
        year=year,
        years=reports.years_with_sessions(org_id),
        n=n,
        people=programme.listed(org_id, year, n),
        error=error,
        n_error=None,
    )
    return page, status


@bp.route(f"{PAGE}/settings", methods=["POST"])
@organizers
def settings(org_id: int):
    try:
        programme.set_min_activities(org_id, request.form.get("min_activities"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(str(m) for m in exc.fields["min_activities"]), "error")
        return redirect(url_for(".people", org_id=org_id))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".people", org_id=org_id))
