"""API: the caller's participation history (参加履歴), as on their history page."""

from flask_login import current_user

from app.api import Blueprint, ErrorSchema
from app.api.accounts import BEARER
from app.attendance.history import history, payload
from app.attendance.schemas import HistorySchema
from app.core.access import login_required
from app.core.urls import external_url

blp = Blueprint("api_history", __name__, description="Participation history (参加履歴)")


@blp.route("/me/history", methods=["GET"])
@blp.response(200, HistorySchema)
@blp.alt_response(401, schema=ErrorSchema, description="Not logged in")
@blp.doc(security=BEARER)
@login_required
def my_history():
    """The caller's participation history, with progress and certificates per series.

    Every session the caller registered for, in every organisation's series (series with the
    latest sessions first, each one's sessions in order), with its attendance."""
    return payload(
        history(current_user),
        lambda series_id: external_url("attendance.certificate_pdf", series_id=series_id),
    )
