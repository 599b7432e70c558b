"""The participation history's shape (参加履歴): GET /api/v1/me/history and the JSON download of
the history page give the same document."""

from marshmallow import Schema, fields

from app.attendance.history import STATUSES
from app.events.models import Mode


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
    archive_minutes = fields.Integer(
        allow_none=True,
        metadata={"description": "Time watching the archive (apart from live attendance); "
                  "null if never watched"},
    )  # fmt: skip


class HistoryProgressOut(Schema):
    attended = fields.Integer(metadata={"description": "Sessions attended, venue or online"})
    sessions = fields.Integer(metadata={"description": "Sessions held (not cancelled)"})
    required = fields.Integer(
        allow_none=True, metadata={"description": "The completion rule; null: none"}
    )
    completed = fields.Boolean()
    archive = fields.Integer(
        metadata={"description": "Of `attended`: sessions counted by watching their archive"}
    )


class HistorySeriesOut(Schema):
    series_id = fields.Integer()
    title = fields.String()
    organization = fields.String()
    progress = fields.Nested(HistoryProgressOut)
    certificate_url = fields.String(
        allow_none=True,
        metadata={
            "description": "The 修了証 PDF, once the rule is met: a POST from the person's "
            "logged-in browser (its button on 参加履歴), which issues it on the first download"
        },
    )
    sessions = fields.List(fields.Nested(HistorySessionOut))


class HistorySchema(Schema):
    series = fields.List(fields.Nested(HistorySeriesOut))


class ArchiveFiguresOut(Schema):
    """A session's アーカイブ視聴, apart from live attendance (the figures its page shows)."""

    people = fields.Integer(metadata={"description": "People who watched the archive"})
    minutes = fields.Integer(metadata={"description": "Their viewing minutes in all"})


class VenueFigureOut(Schema):
    """One venue's figures (or online's) of a session held at several venues (サテライト会場)."""

    venue_id = fields.Integer(allow_none=True, metadata={"description": "null: online"})
    name = fields.String(metadata={"example": "東京会場"})
    places = fields.Integer(metadata={"description": "Confirmed places there"})
    attended = fields.Integer(
        metadata={"description": "Attended there: at a venue, where they were checked in"}
    )


def venue_figures_payload(lines) -> list[dict]:
    return [
        {"venue_id": v.venue_id, "name": v.name, "places": v.places, "attended": v.attended}
        for v in lines
    ]
