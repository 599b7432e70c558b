"""委託元 pages: the viewer's programme page (every organisation viewed side by side and their
sum), one programme series, the CSV; the owner's page to invite and revoke viewers; accepting
an invitation.

A viewer's pages are reads, but each leaves a line in the viewed organisation's security log
(services.log_view): the one write they make, committed by the view (see ALLOWED in
tests/security/test_a_get_never_commits.py).
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance.reports import parse_fiscal_year, years_with_sessions
from app.core.access import declare, login_required, public
from app.core.csvfile import csv_response
from app.core.errors import KakawariError
from app.core.forms import ActionForm, apply_errors, choices
from app.core.prefectures import RELATIONS
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.programme import exports, services
from app.programme.figures import (
    programme_series,
    programme_year,
    series_figures,
    viewed_series,
)
from app.programme.forms import AcceptForm, ViewerInviteForm

bp = Blueprint("programme", __name__)
owners = org_role_required(Role.owner)


def viewer_required(view):
    """Someone with a standing viewer grant; anyone else is told the page does not exist."""
    wrapped = login_required(view)
    return declare(wrapped, "viewer")


# --- the viewer's pages ------------------------------------------------------------------------


def _grants_or_404():
    grants = services.grants_for(current_user)
    if not grants:
        abort(404)
    return grants


def _years(grants) -> list[int]:
    return sorted({y for grant in grants for y in years_with_sessions(grant.org_id)}, reverse=True)


@bp.route("/programme")
@viewer_required
def overview():
    grants = _grants_or_404()
    try:
        year = parse_fiscal_year(request.args.get("year"))
    except KakawariError as exc:
        page = render_template(
            "programme/overview.html",
            view=None,
            grants=grants,
            years=_years(grants),
            year=None,
            error=exc.fields["year"][0],
        )
        return page, exc.status
    view = programme_year([grant.org for grant in grants], year)
    for grant in grants:
        services.log_view(grant, current_user, "page", year=year)
    page = render_template(
        "programme/overview.html",
        view=view,
        grants=grants,
        years=_years(grants),
        year=year,
        error=None,
    )
    db.session.commit()  # the security log's lines
    return page


@bp.route("/programme/export.csv")
@viewer_required
def export_csv():
    grants = _grants_or_404()
    year = parse_fiscal_year(request.args.get("year"))
    view = programme_year([grant.org for grant in grants], year)
    lines = list(exports.rows(view))
    for grant in grants:
        services.log_view(grant, current_user, "csv", year=year)
    db.session.commit()
    return csv_response(exports.HEADER, lines, f"kakawari-programme-{year}.csv")


@bp.route("/programme/orgs/<int:org_id>/series/<int:series_id>")
@viewer_required
def series(org_id: int, series_id: int):
    grant = services.grant_for(current_user, org_id)
    found = series_figures(viewed_series(org_id, series_id))
    services.log_view(grant, current_user, "series", series_id=series_id)
    page = render_template(
        "programme/series.html", org=grant.org, figures=found, relation_labels=RELATIONS
    )
    db.session.commit()
    return page


# --- the owner's page ----------------------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/viewers")
@owners
def viewers(org_id: int):
    return _viewers_page(ViewerInviteForm())


def _viewers_page(form: ViewerInviteForm, status: int = 200):
    return render_template(
        "programme/viewers.html",
        org=g.org,
        grants=services.grants_of(g.org),
        invitations=services.pending_invitations(g.org),
        series=programme_series(g.org.id),
        form=form,
        action_form=ActionForm(),
    ), status


@bp.route("/orgs/<int:org_id>/viewers/invitations", methods=["POST"])
@owners
def invite(org_id: int):
    form = ViewerInviteForm()
    if form.validate_on_submit():
        if form.kind.data not in ("org", "person"):
            apply_errors(form, {"kind": [_("Choose who views.")]})
            return _viewers_page(form, 422)
        try:
            services.invite_viewer(g.org, current_user, form.email.data, form.kind.data == "org")
        except KakawariError as exc:
            apply_errors(form, exc.fields or {"email": [exc.message]})
            return _viewers_page(form, 422)
        db.session.commit()  # the invitation and its mail
        flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
        return redirect(url_for("programme.viewers", org_id=org_id))
    return _viewers_page(form, 422)


@bp.route("/orgs/<int:org_id>/viewers/invitations/<int:invitation_id>/revoke", methods=["POST"])
@owners
def revoke_invitation(org_id: int, invitation_id: int):
    ActionForm().validate_on_submit()
    services.revoke_invitation(g.org, current_user, invitation_id)
    db.session.commit()
    flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("programme.viewers", org_id=org_id))


@bp.route("/orgs/<int:org_id>/viewers/<int:grant_id>/revoke", methods=["POST"])
@owners
def revoke(org_id: int, grant_id: int):
    ActionForm().validate_on_submit()
    grant = services.revoke_grant(g.org, current_user, grant_id)
    name = grant.viewer_org.name if grant.viewer_org else grant.viewer_user.name
    db.session.commit()
    flash(_("%(name)s can no longer view the programme.", name=name), "success")
    return redirect(url_for("programme.viewers", org_id=org_id))


# --- accepting an invitation -------------------------------------------------------------------


@bp.route("/programme/invitations/<token>", methods=["GET", "POST"])
@public
def invitation(token: str):
    """Anyone with the link sees who invites; only the invited person, logged in, accepts."""
    if len(token) > 100:
        abort(404)
    inv = services.invitation_for_token(token)
    form = AcceptForm()
    owned = services.owned_orgs(current_user) if current_user.is_authenticated else []
    form.viewer_org.choices = choices((str(o.id), o.name) for o in owned)
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            services.accept_invitation(inv, current_user, form.viewer_org.data)
        except KakawariError as exc:
            if exc.status in (403, 404):
                raise
            apply_errors(form, exc.fields or {"viewer_org": [exc.message]})
            status = 422
        else:
            name = inv.org.name
            db.session.commit()
            flash(_("You can now view the programme of %(org)s.", org=name), "success")
            return redirect(url_for("programme.overview"))
    page = render_template("programme/invitation.html", invitation=inv, form=form, owned=owned)
    return page, status
