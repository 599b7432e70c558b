"""The landing page, マイページ (the logged-in home) and the privacy notice."""

from flask import Blueprint, render_template
from flask_login import current_user

from app.core.access import login_required, public
from app.main.home import home
from app.programme.services import grants_for
from app.registration.forms import MODE_LABELS
from app.surveys.links import link_token
from app.surveys.respond import open_surveys_for

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    """The product for visitors; for someone logged in, their マイページ (as on Luma or
    connpass, home is what comes next)."""
    if current_user.is_authenticated:
        return _mypage()
    return render_template("main/index.html")


@bp.route("/me")
@login_required
def mypage():
    return _mypage()


def _mypage():
    surveys = [(s, link_token(s.id, current_user.id)) for s in open_surveys_for(current_user.id)]
    return render_template(
        "main/mypage.html",
        home=home(current_user),
        MODE_LABELS=MODE_LABELS,
        surveys=surveys,
        viewing=grants_for(current_user),  # 委託元: organisations whose programme they view
    )


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")
