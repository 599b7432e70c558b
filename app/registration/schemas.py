"""Marshmallow schemas of the public portal's search (read by app.api.portal; the pages read
the same filters through SeriesFilterForm, and both hand them to portal.search_series)."""

from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import Length, OneOf, Range

from app.events.models import SessionFormat, Theme

MAX_PER_PAGE = 100


class PortalQuery(Schema):
    """The filters of /series, by the same names, plus `finished` and paging."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(validate=Length(max=100), metadata={"description": "Keyword"})
    prefecture = fields.String(
        validate=Length(max=20),
        metadata={"description": "JIS code (32), 島根県 or Shimane", "example": "32"},
    )
    format = fields.String(validate=OneOf([f.value for f in SessionFormat]))
    theme = fields.String(validate=OneOf([t.value for t in Theme]))
    near = fields.String(
        validate=Length(max=20),
        metadata={"description": "近くの会場: a session to come at a venue in this prefecture"},
    )
    near_region = fields.Boolean(metadata={"description": "With `near`: anywhere in its 地方"})
    date_from = fields.Date(metadata={"description": "A session on or after this day (JST)"})
    date_to = fields.Date(metadata={"description": "A session on or before this day (JST)"})
    online = fields.Boolean(metadata={"description": "Can take part online"})
    open = fields.Boolean(metadata={"description": "Open for entry now"})
    finished = fields.Boolean(
        metadata={"description": "Finished programmes (latest first) instead of current ones"}
    )
    page = fields.Integer(validate=Range(1, 10**6), load_default=1)
    per_page = fields.Integer(validate=Range(1, MAX_PER_PAGE), load_default=20)


class PortalOrg(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String(metadata={"description": "The organisation's public page"})


class PortalPrefecture(Schema):
    code = fields.String(metadata={"example": "32"})
    name = fields.String(metadata={"example": "島根県"})
    region = fields.String(metadata={"example": "中国"})


class PortalVenue(Schema):
    name = fields.String(metadata={"example": "松江会場"})


class PortalTheme(Schema):
    code = fields.String(metadata={"enum": [t.value for t in Theme], "example": "migration"})
    label = fields.String(metadata={"example": "移住・二地域居住"})


class PortalSeries(Schema):
    id = fields.Integer()
    title = fields.String(metadata={"example": "しまね関係人口講座"})
    url = fields.String(metadata={"description": "The series' public page (to register)"})
    org = fields.Nested(PortalOrg)
    prefecture = fields.Nested(PortalPrefecture, allow_none=True)
    municipality = fields.String()
    theme = fields.Nested(PortalTheme, allow_none=True)
    first_starts_at = fields.DateTime(allow_none=True)
    last_ends_at = fields.DateTime(allow_none=True)
    next_starts_at = fields.DateTime(
        allow_none=True, metadata={"description": "The next session still to come"}
    )
    formats = fields.List(fields.String(metadata={"enum": [f.value for f in SessionFormat]}))
    venues = fields.List(fields.Nested(PortalVenue))
    open_for_entry = fields.Boolean()


class PortalPage(Schema):
    items = fields.List(fields.Nested(PortalSeries))
    page = fields.Integer()
    pages = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PortalPrefectureCount(PortalPrefecture):
    current = fields.Integer(metadata={"description": "Current programmes held there"})
    url = fields.String(metadata={"description": "The prefecture's public page"})
