"""Organisation pages: my organisations, overview, members, invitations, audit log."""

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditEvent
from app.core.access import login_required, public
from app.core.errors import KakawariError
from app.core.forms import ActionForm, apply_errors
from app.extensions import db
from app.orgs import services
from app.orgs.access import org_role_required
from app.orgs.forms import InviteForm, OrgForm, OrgSettingsForm, RoleForm
from app.orgs.models import Role

bp = Blueprint("orgs", __name__)


@bp.route("/orgs", methods=["GET", "POST"])
@login_required
def my_orgs():
    form = OrgForm()
    if form.validate_on_submit():
        try:
            org = services.create_org(current_user, form.name.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            name, page = org.name, url_for("orgs.overview", org_id=org.id)
            db.session.commit()
            flash(_("%(org)s was created. You are its owner.", org=name), "success")
            return redirect(page)
    return render_template(
        "orgs/list.html", form=form, memberships=services.user_memberships(current_user)
    )


@bp.route("/orgs/<int:org_id>")
@org_role_required(Role.staff)
def overview(org_id: int):
    return render_template(
        "orgs/overview.html",
        org=g.org,
        membership=g.membership,
        member_count=len(g.org.memberships),
    )


@bp.route("/orgs/<int:org_id>/settings", methods=["GET", "POST"])
@org_role_required(Role.organizer)
def settings(org_id: int):
    form = OrgSettingsForm(data={"reminder_time": g.org.day_before_reminder_time})
    if form.validate_on_submit():
        try:
            services.set_reminder_time(g.org, current_user, form.reminder_time.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("The settings were saved."), "success")
            return redirect(url_for("orgs.settings", org_id=org_id))
    status = 422 if form.errors else 200
    return render_template("orgs/settings.html", org=g.org, form=form), status


@bp.route("/orgs/<int:org_id>/members")
@org_role_required(Role.owner)
def members(org_id: int):
    return _members_page(InviteForm())


def _members_page(invite_form: InviteForm, status: int = 200):
    return render_template(
        "orgs/members.html",
        org=g.org,
        members=services.members(g.org),
        invitations=services.pending_invitations(g.org),
        invite_form=invite_form,
        role_form=RoleForm(),
        action_form=ActionForm(),
    ), status


@bp.route("/orgs/<int:org_id>/invitations", methods=["POST"])
@org_role_required(Role.owner)
def invite(org_id: int):
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(g.org, current_user, form.email.data, form.role.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields or {"email": [exc.message]})
            return _members_page(form, 422)
        db.session.commit()  # the invitation and its mail
        flash(_("An invitation was sent to %(email)s.", email=form.email.data), "success")
        return redirect(url_for("orgs.members", org_id=org_id))
    return _members_page(form, 422)


@bp.route("/orgs/<int:org_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@org_role_required(Role.owner)
def revoke_invitation(org_id: int, invitation_id: int):
    ActionForm().validate_on_submit()
    services.revoke_invitation(g.org, current_user, invitation_id)
    db.session.commit()
    flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/role", methods=["POST"])
@org_role_required(Role.owner)
def change_role(org_id: int, membership_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
    else:
        try:
            m = services.change_role(g.org, current_user, membership_id, form.role.data)
        except KakawariError as exc:
            if exc.status == 404:
                raise
            flash(str(exc.message), "error")
        else:
            done = _("%(name)s is now %(role)s.", name=m.user.name, role=m.role.label)
            db.session.commit()
            flash(done, "success")
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@org_role_required(Role.owner)
def remove_member(org_id: int, membership_id: int):
    ActionForm().validate_on_submit()
    try:
        services.remove_member(g.org, current_user, membership_id)
    except KakawariError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The member was removed."), "success")
    if not services.membership(current_user, org_id):
        return redirect(url_for("orgs.my_orgs"))  # they removed themselves
    return redirect(url_for("orgs.members", org_id=org_id))


@bp.route("/orgs/<int:org_id>/audit")
@org_role_required(Role.owner)
def audit_log(org_id: int):
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.org_id == org_id)
        .order_by(AuditEvent.at.desc())
        .limit(200)
        .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject))
    ).all()
    return render_template("orgs/audit.html", org=g.org, events=events)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def invitation(token: str):
    """Anyone with the link sees whom it invites; only that person, logged in, can accept."""
    if len(token) > 100:
        abort(404)
    inv = services.invitation_for_token(token)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        m = services.accept_invitation(inv, current_user)
        name, page = m.org.name, url_for("orgs.overview", org_id=m.org_id)
        db.session.commit()
        flash(_("You joined %(org)s.", org=name), "success")
        return redirect(page)
    return render_template("orgs/invitation.html", invitation=inv, form=form)
