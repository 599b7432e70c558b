"""The landing page and the privacy notice."""

from flask import Blueprint, render_template
from flask_login import current_user

from app.core.access import public

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    memberships = []
    if current_user.is_authenticated:
        from app.orgs.services import user_memberships

        memberships = user_memberships(current_user)
    return render_template("main/index.html", memberships=memberships)


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")
