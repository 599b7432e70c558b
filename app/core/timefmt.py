"""The one place that turns stored UTC times into what people read (Asia/Tokyo).

ja: 2026年8月24日(土) 13:30〜17:30   en: Sat 24 Aug 2026, 13:30–17:30
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_locale

TOKYO = ZoneInfo("Asia/Tokyo")
JA_WEEKDAYS = "月火水木金土日"
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: times are stored as aware UTC")
    return dt.astimezone(TOKYO)


def _lang(lang: str | None) -> str:
    if lang:
        return lang
    locale = get_locale()
    return locale.language if locale else "ja"


def format_date(dt: datetime, lang: str | None = None) -> str:
    d = to_local(dt)
    if _lang(lang) == "ja":
        return f"{d.year}年{d.month}月{d.day}日({JA_WEEKDAYS[d.weekday()]})"
    return f"{EN_WEEKDAYS[d.weekday()]} {d.day} {EN_MONTHS[d.month - 1]} {d.year}"


def format_datetime(dt: datetime, lang: str | None = None) -> str:
    lang = _lang(lang)
    sep = " " if lang == "ja" else ", "
    return f"{format_date(dt, lang)}{sep}{to_local(dt):%H:%M}"


def format_span(start: datetime, end: datetime, lang: str | None = None) -> str:
    """A time range; the end date is repeated only when the range crosses midnight in Tokyo."""
    lang = _lang(lang)
    dash = "〜" if lang == "ja" else "–"
    if to_local(start).date() == to_local(end).date():
        return f"{format_datetime(start, lang)}{dash}{to_local(end):%H:%M}"
    return f"{format_datetime(start, lang)}{dash}{format_datetime(end, lang)}"


def register_filters(app) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["format_span"] = format_span
