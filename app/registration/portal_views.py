"""The public portal: the search across every organisation (/series), a page per organisation
and per prefecture, and an Atom and an iCalendar feed per search (same query string)."""

from xml.etree import ElementTree as ET

from flask import render_template, request, url_for
from flask_babel import format_number, get_locale
from flask_babel import gettext as _

from app.core.access import public
from app.core.errors import NotFound
from app.core.prefectures import prefecture_code, prefecture_name
from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import Mode
from app.registration import calendar, portal
from app.registration.blueprint import bp
from app.registration.forms import SeriesFilterForm

FEED_SIZE = 50
#: query-string keys the search understands (the feeds and pager links carry these on)
KEYS = (
    "q",
    "prefecture",
    "format",
    "theme",
    "near",
    "near_region",
    "date_from",
    "date_to",
    "online",
    "open",
)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) <= 6 else 1


def _args() -> dict:
    return {k: request.args[k][:200] for k in KEYS if request.args.get(k)}


def card(series, now) -> dict:
    """What a card in a list shows: the next session and the modes the series offers."""
    held = [s for s in series.sessions if not s.is_cancelled]
    return {
        "series": series,
        "next": next((s for s in held if s.ends_at > now), None),
        "modes": [m for m in Mode if any(m in s.modes for s in held)],
    }


@bp.route("/series")
@public
def series_list():
    form = SeriesFilterForm(formdata=request.args)
    finished = request.args.get("tab") == "finished"
    now = utcnow()
    found, window = portal.search_series(form.search(finished=finished), _page_arg(), now=now)
    lang = (get_locale() or "ja").language
    return render_template(
        "registration/series_list.html",
        form=form,
        cards=[card(s, now) for s in found],
        window=window,
        finished=finished,
        args=_args(),
        regions=portal.regions(lang),
        tiles=portal.tile_map(portal.current_counts(now)),
        short_prefecture=portal.short_prefecture,
        format_number=format_number,
    )


def _listing(search: portal.Search, template: str, **context):
    now = utcnow()
    current, _w = portal.search_series(search, 1, per_page=50, now=now)
    past, _w = portal.search_series(
        portal.Search(**{**search.__dict__, "finished": True}), 1, per_page=50, now=now
    )
    return render_template(
        template,
        current=[card(s, now) for s in current],
        past=[card(s, now) for s in past],
        **context,
    )


@bp.route("/o/<int:org_id>")
@public
def org_page(org_id: int):
    org = portal.organisation(org_id)
    if org is None:
        raise NotFound()
    return _listing(portal.Search(org_id=org.id), "registration/org_page.html", org=org)


@bp.route("/prefectures/<code>")
@public
def prefecture_page(code: str):
    found = prefecture_code(code) if len(code) <= 20 else None
    if found is None:
        raise NotFound()
    return _listing(
        portal.Search(prefecture=found),
        "registration/prefecture_page.html",
        code=found,
        name=prefecture_name(found),
    )


# --- feeds -------------------------------------------------------------------------------------


def _feed_series():
    form = SeriesFilterForm(formdata=request.args)
    found, _w = portal.search_series(form.search(), 1, per_page=FEED_SIZE)
    return found


@bp.route("/series/feed.atom")
@public
def series_atom():
    atom = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", atom)
    feed = ET.Element(f"{{{atom}}}feed")
    search_url = external_url("registration.series_list", **_args())
    ET.SubElement(feed, f"{{{atom}}}title").text = _("Kakawari: ways to take part")
    ET.SubElement(feed, f"{{{atom}}}id").text = search_url
    ET.SubElement(feed, f"{{{atom}}}link", href=search_url)
    self_url = external_url("registration.series_atom", **_args())
    ET.SubElement(feed, f"{{{atom}}}link", rel="self", href=self_url)
    found = _feed_series()
    updated = max((s.updated_at for s in found), default=utcnow())
    ET.SubElement(feed, f"{{{atom}}}updated").text = updated.isoformat()
    for series in found:
        entry = ET.SubElement(feed, f"{{{atom}}}entry")
        link = external_url("registration.series_page", series_id=series.id)
        ET.SubElement(entry, f"{{{atom}}}title").text = series.title
        ET.SubElement(entry, f"{{{atom}}}id").text = link
        ET.SubElement(entry, f"{{{atom}}}link", href=link)
        ET.SubElement(entry, f"{{{atom}}}updated").text = series.updated_at.isoformat()
        author = ET.SubElement(entry, f"{{{atom}}}author")
        ET.SubElement(author, f"{{{atom}}}name").text = series.org.name
        ET.SubElement(entry, f"{{{atom}}}summary").text = (series.description or "")[:500]
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    headers = {
        "Content-Type": "application/atom+xml; charset=utf-8",
        "Cache-Control": "public, max-age=300",
    }
    return body, 200, headers


@bp.route("/series/feed.ics")
@public
def series_ics():
    entries = [calendar.Entry(s) for series in _feed_series() for s in series.sessions]
    data = calendar.build_calendar(entries, name=_("Kakawari: ways to take part"), utc=True)
    headers = {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'inline; filename="kakawari-series.ics"',
        "Cache-Control": "public, max-age=300",
    }
    return data, 200, headers


def feed_links() -> dict:
    return {
        "atom": url_for("registration.series_atom", **_args()),
        "ics": url_for("registration.series_ics", **_args()),
    }
