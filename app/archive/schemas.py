"""Schemas of the archive's JSON (the API reads and writes with them)."""

from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import Length, Range


class ArchiveIn(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(
        required=True,
        validate=Length(max=500),
        metadata={"description": "YouTube, Vimeo, or an https video file (.mp4, .webm, …)"},
    )
    days = fields.Integer(
        load_default=14,
        validate=Range(1, 365),
        metadata={"description": "Days the archive is available, from publication"},
    )
    venue_allowed = fields.Boolean(
        load_default=False, metadata={"description": "Venue-registered people may watch too"}
    )
    published = fields.Boolean(
        load_default=False,
        metadata={"description": "Published: people see it, and are mailed once (first time)"},
    )


class ArchiveOut(Schema):
    session_id = fields.Integer()
    url = fields.String(metadata={"description": "As the organiser gave it"})
    kind = fields.String(metadata={"enum": ["youtube", "vimeo", "file"]})
    embed_url = fields.String()
    days = fields.Integer()
    venue_allowed = fields.Boolean()
    published = fields.Boolean()
    available_from = fields.DateTime(allow_none=True)
    available_until = fields.DateTime(allow_none=True)
    notified_at = fields.DateTime(allow_none=True, metadata={"description": "When mailed"})


class WatchableOut(Schema):
    session_id = fields.Integer()
    series_id = fields.Integer()
    series_title = fields.String()
    session_title = fields.String()
    kind = fields.String(metadata={"enum": ["youtube", "vimeo", "file"]})
    embed_url = fields.String()
    page_url = fields.String(metadata={"description": "The archive page (viewing is counted)"})
    available_until = fields.DateTime()
    minutes = fields.Integer(metadata={"description": "The caller's archive minutes so far"})


class WatchableList(Schema):
    archives = fields.List(fields.Nested(WatchableOut))


class HeartbeatIn(Schema):
    class Meta:
        unknown = EXCLUDE

    tab = fields.String(
        required=True,
        validate=Length(min=8, max=64),
        metadata={"description": "The page's random id for its tab (letters, digits, - and _)"},
    )


class HeartbeatOut(Schema):
    session_id = fields.Integer()
    seconds = fields.Integer(metadata={"description": "Archive viewing so far, tabs merged"})
    minutes = fields.Integer()


class ViewerOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    furigana = fields.String()
    minutes = fields.Integer()
    last_at = fields.DateTime()


class SessionViewingOut(Schema):
    session_id = fields.Integer()
    people = fields.Integer(metadata={"description": "People who watched the archive"})
    minutes = fields.Integer(metadata={"description": "Their minutes in all"})
    viewers = fields.List(fields.Nested(ViewerOut), metadata={"description": "By furigana"})


class MyViewingOut(Schema):
    session_id = fields.Integer()
    minutes = fields.Integer()


class MyViewingList(Schema):
    sessions = fields.List(fields.Nested(MyViewingOut))
