"""API: the caller's participation history (参加履歴), as on their history page."""

from flask_login import current_user
from marshmallow import Schema, fields

from app.api import Blueprint, ErrorSchema
from app.api.accounts import BEARER
from app.attendance.history import STATUSES, history, payload
from app.core.access import login_required
from app.core.urls import external_url
from app.events.models import Mode

blp = Blueprint("api_history", __name__, description="Participation history (参加履歴)")


class HistorySessionOut(Schema):
    session_id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    mode = fields.String(metadata={"enum": [m.value for m in Mode]})
    status = fields.String(
        metadata={
            "enum": STATUSES,
            "description": "An attendance status (`attended_venue`, `attended_online`, "
            "`partial`, `absent`, `excused`) once the session is held; before that "
            "`scheduled`, `waitlisted` or `applied`; `in_progress` while under way; "
            "`cancelled` when the caller cancelled, `session_cancelled` when the session was",
        }
    )
    online_minutes = fields.Integer(
        allow_none=True, metadata={"description": "Time in the live room; null if not measured"}
    )
    checked_in_at = fields.DateTime(allow_none=True)


class HistoryProgressOut(Schema):
    attended = fields.Integer(metadata={"description": "Sessions attended, venue or online"})
    sessions = fields.Integer(metadata={"description": "Sessions held (not cancelled)"})
    required = fields.Integer(
        allow_none=True, metadata={"description": "The completion rule; null: none"}
    )
    completed = fields.Boolean()


class HistorySeriesOut(Schema):
    series_id = fields.Integer()
    title = fields.String()
    organization = fields.String()
    progress = fields.Nested(HistoryProgressOut)
    certificate_url = fields.String(
        allow_none=True, metadata={"description": "The 修了証 PDF, once the rule is met"}
    )
    sessions = fields.List(fields.Nested(HistorySessionOut))


class HistorySchema(Schema):
    series = fields.List(fields.Nested(HistorySeriesOut))


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
