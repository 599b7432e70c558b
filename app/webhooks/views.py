"""The owner's webhook pages (組織の設定 → Webhook): endpoints, their secret, the delivery log,
the test event. Owners only; another organisation's endpoint does not exist (404)."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import KakawariError
from app.core.forms import ActionForm, apply_errors
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.webhooks import services
from app.webhooks.forms import EndpointForm
from app.webhooks.outbox import EVENT_TYPES

bp = Blueprint("webhooks", __name__)


def _list_page(form: EndpointForm, status: int = 200):
    return render_template(
        "webhooks/list.html",
        org=g.org,
        endpoints=services.endpoints(g.org),
        form=form,
        event_types=EVENT_TYPES,
    ), status


@bp.route("/orgs/<int:org_id>/webhooks")
@org_role_required(Role.owner)
def endpoints(org_id: int):
    return _list_page(EndpointForm())


@bp.route("/orgs/<int:org_id>/webhooks", methods=["POST"])
@org_role_required(Role.owner)
def add(org_id: int):
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = services.add_endpoint(g.org, current_user, form.url.data, form.events.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            page = url_for("webhooks.endpoint", org_id=org_id, endpoint_id=endpoint.id)
            db.session.commit()
            flash(_("The endpoint was added. Give its signing secret to the receiving system."),
                  "success")  # fmt: skip
            return redirect(page)
    return _list_page(form, 422)


def _endpoint_page(found, form: EndpointForm, status: int = 200):
    return render_template(
        "webhooks/endpoint.html",
        org=g.org,
        endpoint=found,
        deliveries=services.deliveries(found),
        event_types=EVENT_TYPES,
        action_form=ActionForm(),
        edit_form=form,
    ), status


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>")
@org_role_required(Role.owner)
def endpoint(org_id: int, endpoint_id: int):
    found = services.endpoint_of(g.org, endpoint_id)
    return _endpoint_page(found, EndpointForm(url=found.url, events=list(found.events)))


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/edit", methods=["POST"])
@org_role_required(Role.owner)
def edit(org_id: int, endpoint_id: int):
    found = services.endpoint_of(g.org, endpoint_id)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            services.edit_endpoint(found, current_user, form.url.data, form.events.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("The endpoint was changed."), "success")
            return redirect(url_for("webhooks.endpoint", org_id=org_id, endpoint_id=endpoint_id))
    return _endpoint_page(found, form, 422)  # checked before anything changed


def _action(endpoint_id: int, do, message: str):
    form = ActionForm()
    found = services.endpoint_of(g.org, endpoint_id)
    page = url_for("webhooks.endpoint", org_id=g.org.id, endpoint_id=endpoint_id)
    if form.validate_on_submit():
        do(found, current_user)
        db.session.commit()
        flash(message, "success")
    return redirect(page)


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/test", methods=["POST"])
@org_role_required(Role.owner)
def send_test(org_id: int, endpoint_id: int):
    return _action(endpoint_id, services.send_test, _("A test event was sent."))


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
@org_role_required(Role.owner)
def rotate(org_id: int, endpoint_id: int):
    return _action(
        endpoint_id,
        services.rotate_secret,
        _("A new signing secret was made. Give it to the receiving system: the old one no "
          "longer signs."),
    )  # fmt: skip


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/enable", methods=["POST"])
@org_role_required(Role.owner)
def enable(org_id: int, endpoint_id: int):
    return _action(
        endpoint_id, services.enable, _("The endpoint is on again; waiting events go out now.")
    )


@bp.route("/orgs/<int:org_id>/webhooks/<int:endpoint_id>/remove", methods=["POST"])
@org_role_required(Role.owner)
def remove(org_id: int, endpoint_id: int):
    form = ActionForm()
    found = services.endpoint_of(g.org, endpoint_id)
    if form.validate_on_submit():
        services.remove(found, current_user)
        db.session.commit()
        flash(_("The endpoint was removed."), "success")
    return redirect(url_for("webhooks.endpoints", org_id=org_id))
