"""Who may use an organisation's data through the API, seen from a series."""

from flask_login import current_user
from sqlalchemy import exists, select

from app.core.access import require_user
from app.core.errors import NotFound, PermissionDenied
from app.events.models import Series
from app.extensions import db
from app.orgs.access import load_org_for
from app.orgs.models import Role
from app.registration.models import Registration


def require_role_in(series: Series, role: Role) -> None:
    """`role` or above in the series' organisation. A participant of the series learns it
    exists (403); anybody else outside the organisation gets 404."""
    require_user()
    try:
        load_org_for(role, series.org_id)
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
