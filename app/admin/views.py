"""Site administration: organisations, account counts and the security log."""

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.access import admin_required
from app.extensions import db
from app.orgs.models import Membership, Organization

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def index():
    orgs = db.session.execute(
        select(Organization, func.count(Membership.id))
        .outerjoin(Membership)
        .group_by(Organization.id)
        .order_by(Organization.created_at.desc())
    ).all()
    users = db.session.scalar(
        select(func.count()).select_from(User).where(User.deleted_at.is_(None))
    )
    events = db.session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.at.desc())
        .limit(100)
        .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject))
    ).all()
    return render_template("admin/index.html", orgs=orgs, user_count=users, events=events)
