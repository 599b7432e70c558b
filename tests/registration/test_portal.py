"""The public portal: the search across every organisation, the organisation and prefecture
pages, the feeds of a search, and the title/description/Open Graph tags of public pages."""

import html as htmllib
import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import icalendar
import pytest
from sqlalchemy import event, update

from app.core.types import utcnow
from app.events.models import Series, Session
from app.extensions import db
from tests.registration.factories import make_series

EN = {"Accept-Language": "en"}
TITLES = (
    "島根の会場講座",
    "北海道オンライン",
    "東京ハイブリッド",
    "終わった講座",
    "他団体の下書き",
    "締切後の講座",
)


def shift(series_id: int, days: int) -> None:
    """Moves every session of the series by `days` (into the past with a negative number)."""
    for s in db.session.scalars(db.select(Session).where(Session.series_id == series_id)):
        s.starts_at += timedelta(days=days)
        s.ends_at += timedelta(days=days)
    db.session.commit()


@pytest.fixture
def catalogue(app, world):
    with app.app_context():
        now = utcnow()
        shimane = make_series(
            world["org"],
            title="島根の会場講座",
            prefecture="32",
            municipality="松江市",
            description="出雲で古民家を直す",
            sessions=[("venue", 5, None)],
        )
        make_series(
            world["other_org"],
            title="北海道オンライン",
            prefecture="01",
            sessions=[("online", None, 9)],
        )
        tokyo = make_series(
            world["org"], title="東京ハイブリッド", prefecture="13", sessions=[("hybrid", 5, 5)]
        )
        shift(tokyo.id, 30)  # its session is in 37 days
        past = make_series(world["org"], title="終わった講座", prefecture="32")
        shift(past.id, -60)
        make_series(world["other_org"], title="他団体の下書き", prefecture="32", published=False)
        closed = make_series(
            world["other_org"],
            title="締切後の講座",
            prefecture="13",
            sessions=[("venue", 5, None)],
            registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now + timedelta(days=6),
        )
        db.session.execute(
            update(Series)
            .where(Series.id == closed.id)
            .values(registration_closes_at=now - timedelta(hours=1))
        )
        db.session.commit()
        return {"shimane": shimane.id, "tokyo": tokyo.id, "past": past.id}


def found(client, query: str = "") -> set[str]:
    response = client.get("/series" + query, headers=EN)
    assert response.status_code == 200, query
    page = response.get_data(as_text=True)
    return {t for t in TITLES if t in page}


def test_each_filter_narrows_the_search(client, catalogue):
    current = {"島根の会場講座", "北海道オンライン", "東京ハイブリッド", "締切後の講座"}
    assert found(client) == current
    assert found(client, "?prefecture=32") == {"島根の会場講座"}
    assert found(client, "?q=出雲") == {"島根の会場講座"}  # description
    assert found(client, "?q=ほかの町") == {"北海道オンライン", "締切後の講座"}  # organisation
    assert found(client, "?q=松江") == {"島根の会場講座"}  # municipality
    assert found(client, "?q=東京都") == {"東京ハイブリッド", "締切後の講座"}  # prefecture name
    assert found(client, "?q=100%25") == set()  # LIKE wildcards are literal
    assert found(client, "?online=y") == {"北海道オンライン", "東京ハイブリッド"}
    assert found(client, "?open=y") == current - {"締切後の講座"}
    soon = (utcnow() + timedelta(days=20)).date().isoformat()
    later = (utcnow() + timedelta(days=60)).date().isoformat()
    assert found(client, f"?date_from={soon}&date_to={later}") == {"東京ハイブリッド"}
    assert found(client, f"?date_to={soon}") == current - {"東京ハイブリッド"}
    assert found(client, "?tab=finished") == {"終わった講座"}
    assert found(client, "?tab=finished&prefecture=13") == set()


def test_drafts_of_any_organisation_never_appear(client, catalogue):
    for query in ("", "?q=下書き", "?prefecture=32", "?tab=finished", "?q=ほかの町"):
        assert "他団体の下書き" not in found(client, query)
    assert "他団体の下書き" not in client.get("/prefectures/32").get_data(as_text=True)
    for feed in ("/series/feed.atom", "/series/feed.ics"):
        assert "他団体の下書き" not in client.get(feed).get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "?date_from=2026-13-45",
        "?date_from=tomorrow&date_to=99999-01-01",
        "?date_from=2026-05-01&date_to=2026-04-01",
        "?prefecture=99",
        "?prefecture=%00",
        "?page=999999999999999999999",
        "?page=-3",
        "?page=abc",
        "?q=" + "講" * 5000,
        "?q=%00%01%25_",
        "?q=%ED%A0%80&prefecture=%ED%A0%80",
        "?tab=nope&online=%F0%9F%99%82&open=maybe&format=teleport",
    ],
)
def test_bad_search_input_is_ignored_or_explained(client, catalogue, query):
    response = client.get("/series" + query, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if "date" in query and "2026-05-01" not in query:
        assert "Enter a date like 2026-04-01." in page
    if "2026-05-01" in query:
        assert "The end date is before the start." in page
    for feed in ("/series/feed.atom", "/series/feed.ics"):
        assert client.get(feed + query).status_code == 200


def test_the_search_pages_and_a_page_past_the_end_is_the_last(app, client, world):
    with app.app_context():
        for i in range(23):
            make_series(world["org"], title=f"講座{i:02d}", sessions=[("online", None, 3)])
    first = client.get("/series", headers=EN).get_data(as_text=True)
    assert "23 programmes found" in first and "Page 1 of 2" in first
    last = client.get("/series?page=99", headers=EN).get_data(as_text=True)
    assert "Page 2 of 2" in last and len(re.findall(r'class="reg-card"', last)) == 3


def test_the_search_takes_a_constant_number_of_queries(app, client, world):
    def queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/series?online=y").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        make_series(world["org"], title="一つ目", sessions=[("hybrid", 2, 2)])
    few = queries()
    with app.app_context():
        for i in range(8):
            make_series(world["other_org"], title=f"講座{i}", sessions=[("hybrid", 2, 2)] * 3)
    assert queries() == few


def test_org_and_prefecture_pages_list_current_and_past(client, catalogue, world):
    page = client.get(f"/o/{world['org']}", headers=EN).get_data(as_text=True)
    current, past = page.split("Finished programmes", 1)
    assert "島根の会場講座" in current and "東京ハイブリッド" in current
    assert "終わった講座" in past and "終わった講座" not in current
    assert "北海道オンライン" not in page
    page = client.get("/prefectures/32", headers=EN).get_data(as_text=True)
    current, past = page.split("Finished programmes", 1)
    assert "島根の会場講座" in current and "終わった講座" in past
    assert "東京ハイブリッド" not in page
    assert client.get("/prefectures/99").status_code == 404
    assert client.get("/prefectures/" + "x" * 500).status_code == 404
    assert client.get("/o/999999").status_code == 404
    # linked from the results and from the series page
    results = client.get("/series").get_data(as_text=True)
    assert f'href="/o/{world["org"]}"' in results and 'href="/prefectures/32"' in results
    series = client.get(f"/series/{catalogue['shimane']}").get_data(as_text=True)
    assert f'href="/o/{world["org"]}"' in series and 'href="/prefectures/32"' in series


def test_an_organisation_without_published_series_has_no_page(app, client, world):
    with app.app_context():
        make_series(world["other_org"], title="下書き", published=False)
    assert client.get(f"/o/{world['other_org']}").status_code == 404


def test_feeds_follow_the_search(client, catalogue):
    page = client.get("/series?prefecture=32", headers=EN).get_data(as_text=True)
    links = dict(re.findall(r'<link rel="alternate" type="([^"]+)"[^>]*href="([^"]+)"', page))
    atom_url = htmllib.unescape(links["application/atom+xml"])
    ics_url = htmllib.unescape(links["text/calendar"])
    assert "prefecture=32" in atom_url and "prefecture=32" in ics_url

    atom = client.get(atom_url)
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(atom.data)  # noqa: S314 -- our own feed
    assert [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)] == [
        "島根の会場講座"
    ]
    link = root.find("a:entry/a:link", ns).get("href")
    assert link.startswith("http") and link.endswith(f"/series/{catalogue['shimane']}")

    cal = icalendar.Calendar.from_ical(client.get(ics_url).data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1 and "島根の会場講座" in str(events[0]["summary"])
    start = events[0].decoded("dtstart")
    assert start.utcoffset() == timedelta(0)  # times in UTC

    everything = icalendar.Calendar.from_ical(client.get("/series/feed.ics?online=y").data)
    summaries = {str(e["summary"]) for e in everything.walk("VEVENT")}
    assert any("北海道オンライン" in s for s in summaries)
    assert not any("島根の会場講座" in s for s in summaries)


def _meta(page: str) -> dict:
    tags = re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', page)
    return {k: htmllib.unescape(v) for k, v in tags}


def test_every_public_page_has_title_description_and_open_graph(app, client, catalogue, world):
    with app.app_context():
        session_id = db.session.scalar(
            db.select(Session.id).where(Session.series_id == catalogue["shimane"])
        )
    pages = {
        "/": "Kakawari",
        "/series?q=松江": "Find a way to take part",
        f"/series/{catalogue['shimane']}": "島根の会場講座",
        f"/sessions/{session_id}": "島根の会場講座",
        f"/o/{world['org']}": "しまね関係人口ラボ",
        "/prefectures/32": "Shimane",
    }
    base = app.config["BASE_URL"]
    for path, words in pages.items():
        page = client.get(path, headers=EN).get_data(as_text=True)
        title = htmllib.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
        assert words in title and "<" not in title, path
        meta = _meta(page)
        assert meta["description"].strip(), path
        assert meta["og:title"] == title.strip(), path
        assert meta["og:description"] == meta["description"], path
        assert meta["og:url"].startswith(base) and meta["og:url"].startswith("http"), path
        assert meta["og:type"] in ("website", "article"), path
        assert meta["og:site_name"] == "Kakawari かかわり" and meta["og:locale"] == "ja_JP"
        assert meta["twitter:card"] == "summary", path
    series_meta = _meta(client.get(f"/series/{catalogue['shimane']}").get_data(as_text=True))
    assert "出雲で古民家を直す" in series_meta["og:description"]
    assert series_meta["og:url"] == f"{base}/series/{catalogue['shimane']}"
