"""Who may use an organisation's data through the API, seen from a series."""

from flask import g
from flask_login import current_user
from sqlalchemy import exists, select

from app.core.access import require_user
from app.core.errors import NotFound, PermissionDenied
from app.events.models import Series
from app.extensions import db
from app.orgs.access import load_org_for
from app.orgs.models import Membership, Role
from app.registration.models import Registration

#: require_role_in's `membership` when the caller has not read it
UNREAD = object()


def require_role_in(series: Series, role: Role, membership: Membership | None = UNREAD) -> None:
    """`role` or above in the series' organisation. A participant of the series learns it
    exists (403); anybody else outside the organisation gets 404. `membership`: the caller's
    membership of the organisation when it was read with the series (None: not a member),
    decided by the same rule as app.orgs.access.load_org_for (g.org, g.membership)."""
    require_user()
    try:
        if membership is UNREAD:
            load_org_for(role, series.org_id)
        elif membership is None or membership.user_id != current_user.id:
            raise NotFound()
        elif not membership.role.at_least(role):
            raise PermissionDenied()
        else:
            g.org, g.membership = series.org, membership
    except NotFound:
        registered = db.session.scalar(
            select(
                exists().where(
                    Registration.series_id == series.id,
                    Registration.user_id == current_user.id,
                )
            )
        )
        if registered:
            raise PermissionDenied() from None
        raise
