"""The public portal's search as JSON: the same filters as /series, answered by the same query
(app.registration.portal.search_series), paged. Public like the pages: no token is needed, and
a token of any scope may read it."""

from flask_babel import lazy_gettext as _l

from app.api import Blueprint, ErrorSchema
from app.core.access import public
from app.core.errors import ValidationFailed
from app.core.prefectures import PREFECTURES, prefecture_code, prefecture_name
from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import SessionFormat, Theme
from app.events.themes import theme_label
from app.registration import portal
from app.registration.schemas import PortalPage, PortalPrefectureCount, PortalQuery

blp = Blueprint("portal", __name__, description="The public portal of ways to take part")

EXAMPLE = {
    "items": [
        {
            "id": 12,
            "title": "しまね関係人口講座",
            "url": "https://kakawari.example/series/12",
            "org": {"id": 3, "name": "しまね縁結び舎", "url": "https://kakawari.example/o/3"},
            "prefecture": {"code": "32", "name": "島根県", "region": "中国"},
            "municipality": "松江市",
            "theme": {"code": "migration", "label": "移住・二地域居住"},
            "first_starts_at": "2026-05-16T04:00:00+00:00",
            "last_ends_at": "2026-09-19T06:00:00+00:00",
            "next_starts_at": "2026-05-16T04:00:00+00:00",
            "formats": ["hybrid"],
            "venues": [{"name": "東京会場"}, {"name": "松江会場"}],
            "open_for_entry": True,
        }
    ],
    "page": 1,
    "pages": 1,
    "per_page": 20,
    "total": 1,
}


def _prefecture(code: str | None) -> dict | None:
    if not code:
        return None
    return {"code": code, "name": prefecture_name(code, "ja"), "region": portal.region_of(code)}


def search_from(query: dict) -> portal.Search:
    """The API's query string as the page's Search (an unknown prefecture is refused)."""
    code = None
    if query.get("prefecture"):
        code = prefecture_code(query["prefecture"])
        if code is None:
            raise ValidationFailed(fields={"prefecture": [_l("Choose one of the 47 prefectures.")]})
    near = None
    if query.get("near"):
        near = prefecture_code(query["near"])
        if near is None:
            raise ValidationFailed(fields={"near": [_l("Choose one of the 47 prefectures.")]})
    start, end = query.get("date_from"), query.get("date_to")
    if start and end and end < start:
        raise ValidationFailed(fields={"date_to": [_l("The end date is before the start.")]})
    return portal.Search(
        keyword=(query.get("q") or "").strip(),
        prefecture=code,
        fmt=SessionFormat(query["format"]) if query.get("format") else None,
        theme=Theme(query["theme"]) if query.get("theme") else None,
        near=portal.near_codes(near, bool(query.get("near_region"))),
        date_from=start,
        date_to=end,
        online=bool(query.get("online")),
        open_only=bool(query.get("open")),
        finished=bool(query.get("finished")),
    )


def series_item(series, now) -> dict:
    held = [s for s in series.sessions if not s.is_cancelled]
    upcoming = [s for s in held if s.ends_at > now]
    venues = list(dict.fromkeys(v.name for s in held for v in s.venues if v.name))
    return {
        "id": series.id,
        "title": series.title,
        "url": external_url("registration.series_page", series_id=series.id),
        "org": {
            "id": series.org.id,
            "name": series.org.name,
            "url": external_url("registration.org_page", org_id=series.org.id),
        },
        "prefecture": _prefecture(series.prefecture),
        "municipality": series.municipality,
        "theme": (
            {"code": series.theme.value, "label": theme_label(series.theme)}
            if series.theme
            else None
        ),
        "first_starts_at": min((s.starts_at for s in held), default=None),
        "last_ends_at": max((s.ends_at for s in held), default=None),
        "next_starts_at": min((s.starts_at for s in upcoming), default=None),
        "formats": sorted({s.format.value for s in held}),
        "venues": [{"name": name} for name in venues],
        "open_for_entry": portal.open_for_entry(series, now),
    }


@blp.route("/portal/series", methods=["GET"])
@blp.arguments(PortalQuery, location="query")
@blp.response(200, PortalPage, example=EXAMPLE)
@blp.alt_response(422, schema=ErrorSchema, description="validation_error: a filter not understood")
@public
def portal_series(query):
    """Published series of every organisation, searched like /series: current ones soonest
    first, or with `finished=true` finished ones latest first."""
    now = utcnow()
    found, window = portal.search_series(
        search_from(query), query["page"], per_page=query["per_page"], now=now
    )
    return {
        "items": [series_item(s, now) for s in found],
        "page": window.number,
        "pages": window.pages,
        "per_page": window.per_page,
        "total": window.total,
    }


@blp.route("/portal/prefectures", methods=["GET"])
@blp.response(200, PortalPrefectureCount(many=True))
@public
def portal_prefectures():
    """The 47 prefectures in JIS order, each with its 地方 and its number of current
    programmes (as the map on /series shows them)."""
    counts = portal.current_counts()
    return [
        {
            **_prefecture(code),
            "current": counts.get(code, 0),
            "url": external_url("registration.prefecture_page", code=code),
        }
        for code, _ja, _en in PREFECTURES
    ]
