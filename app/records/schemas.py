"""The shape of a 関わり証明: GET /api/v1/me/records/{year}, GET /api/v1/records/{code} and
the JSON download give the same document."""

from marshmallow import Schema, fields

from app.events.models import Mode


class YearlyActivityOut(Schema):
    date = fields.String(metadata={"description": "The session's date in Japan (YYYY-MM-DD)"})
    organization = fields.String()
    series = fields.String()
    session = fields.String()
    prefecture_code = fields.String(allow_none=True, metadata={"description": "JIS code"})
    prefecture = fields.String()
    municipality = fields.String()
    mode = fields.String(metadata={"enum": [m.value for m in Mode]})
    minutes = fields.Integer(
        metadata={"description": "The session's length at the venue; time present online"}
    )


class ArchiveViewingOut(Schema):
    date = fields.String(metadata={"description": "First watched (Japan date, YYYY-MM-DD)"})
    organization = fields.String()
    series = fields.String()
    session = fields.String()
    minutes = fields.Integer()


class YearlyRecordOut(Schema):
    name = fields.String()
    fiscal_year = fields.Integer(metadata={"description": "年度 (April to March)"})
    period_from = fields.String()
    period_to = fields.String()
    count = fields.Integer()
    total_minutes = fields.Integer()
    organizations = fields.List(fields.String(), metadata={"description": "Those shown"})
    verification_url = fields.String(allow_none=True)
    activities = fields.List(fields.Nested(YearlyActivityOut))
    archive_viewing = fields.List(
        fields.Nested(ArchiveViewingOut),
        metadata={"description": "アーカイブ視聴, listed apart from the activities"},
    )
