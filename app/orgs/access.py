"""Access policies for organisation pages and API endpoints (tenant isolation lives here).

A view decorated with `org_role_required(Role.staff)` receives `org_id` from its URL; the
decorator loads the organisation and the caller's membership into `g.org` and `g.membership`.
Someone who is not a member gets 404 — another tenant's organisation does not exist for them —
and a member whose role is too weak gets 403.
"""

from functools import wraps

from flask import g
from flask_login import current_user

from app.core.access import declare, require_user
from app.core.errors import NotFound, PermissionDenied
from app.extensions import db
from app.orgs.models import Organization, Role
from app.orgs.services import membership


def load_org_for(min_role: Role, org_id: int) -> Organization:
    require_user()
    org = db.session.get(Organization, org_id)
    m = membership(current_user, org_id) if org else None
    if m is None:
        raise NotFound()
    if not m.role.at_least(min_role):
        raise PermissionDenied()
    g.org, g.membership = org, m
    return org


def org_role_required(min_role: Role):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            load_org_for(min_role, kwargs["org_id"])
            return view(*args, **kwargs)

        return declare(wrapper, f"org:{Role(min_role).value}")

    return decorator
