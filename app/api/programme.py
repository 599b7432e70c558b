"""API: the figures a viewer (委託元) sees of the programmes it was granted, as aggregates only
(app/programme). Each call is a view, recorded in the viewed organisation's security log."""

from flask_login import current_user

from app.api import Blueprint, ErrorSchema
from app.api.accounts import BEARER
from app.attendance.reports import parse_fiscal_year
from app.core.errors import NotFound
from app.extensions import db
from app.programme import services
from app.programme.figures import programme_year, series_figures, viewed_series
from app.programme.schemas import ProgrammeOut, ProgrammeQuery, SeriesFiguresOut
from app.programme.views import viewer_required

blp = Blueprint("api_programme", __name__, description="Programme figures for viewers (委託元)")


@blp.route("/programme", methods=["GET"])
@blp.arguments(ProgrammeQuery, location="query")
@blp.response(200, ProgrammeOut)
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.alt_response(404, schema=ErrorSchema, description="The caller views no programme")
@blp.alt_response(422, schema=ErrorSchema, description="A fiscal year out of range")
@blp.doc(security=BEARER)
@viewer_required
def programme(query: dict):
    """The 年度 figures of every organisation whose programme the caller views, side by side,
    and their sum: no names, and "<5" for any figure of fewer than 5 people."""
    grants = services.grants_for(current_user)
    if not grants:
        raise NotFound()
    year = parse_fiscal_year(query.get("year"))
    view = programme_year([grant.org for grant in grants], year)
    for grant in grants:
        services.log_view(grant, current_user, "api", year=year)
    db.session.commit()
    return view


@blp.route("/programme/orgs/<int:org_id>/series/<int:series_id>", methods=["GET"])
@blp.response(200, SeriesFiguresOut)
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.alt_response(404, schema=ErrorSchema, description="No such programme series for the caller")
@blp.doc(security=BEARER)
@viewer_required
def series(org_id: int, series_id: int):
    """One programme series: each session's figures, participants by prefecture and relation,
    completions, new and returning, and its surveys' distributions (never free text)."""
    grant = services.grant_for(current_user, org_id)
    found = series_figures(viewed_series(org_id, series_id))
    services.log_view(grant, current_user, "api_series", series_id=series_id)
    db.session.commit()
    return found
