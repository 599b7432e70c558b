"""A series' theme: chosen (optionally) on the series form, shown on its page, and a filter of
the portal's search on the page, in its feeds and in the API."""

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from app.events.models import Series, Theme
from app.extensions import db
from tests.conftest import login, post_form
from tests.events.test_series_pages import GOOD
from tests.registration.factories import make_series

ATOM = "{http://www.w3.org/2005/Atom}"
SELECTED = '<option selected value="{}">'


@pytest.fixture
def themed(app, world):
    with app.app_context():
        food = make_series(world["org"], title="棚田の米づくり講座", prefecture="32", theme="food")
        make_series(world["other_org"], title="移住体験ツアー", prefecture="01", theme="migration")
        make_series(world["org"], title="テーマのない講座", prefecture="13")
        return {"food": food.id}


def titles(client, query: str) -> set[str]:
    page = client.get("/series" + query).get_data(as_text=True)
    return {t for t in ("棚田の米づくり講座", "移住体験ツアー", "テーマのない講座") if t in page}


def test_an_organiser_chooses_a_theme_or_none(client, world, ctx):
    login(client, "organizer@example.jp")
    path = f"/orgs/{world['org']}/series/new"
    form = client.get(path).get_data(as_text=True)
    assert "テーマ" in form and "移住・二地域居住" in form and "防災・環境" in form
    response = post_form(client, path, {**GOOD, "theme": "migration"}, token_from=path)
    assert response.status_code == 302
    series = db.session.scalar(select(Series))
    assert series.theme is Theme.migration
    edit = f"/orgs/{world['org']}/series/{series.id}/edit"
    assert SELECTED.format("migration") in client.get(edit).get_data(as_text=True)
    assert post_form(client, edit, {**GOOD, "theme": ""}, token_from=edit).status_code == 302
    db.session.expire_all()
    assert db.session.get(Series, series.id).theme is None


def test_an_unknown_theme_is_explained_beside_its_field(client, world, ctx):
    login(client, "organizer@example.jp")
    path = f"/orgs/{world['org']}/series/new"
    response = post_form(client, path, {**GOOD, "theme": "space"}, token_from=path)
    assert response.status_code == 422
    assert 'id="theme-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Series)) is None


def test_the_series_page_shows_its_theme_linking_to_the_search(client, themed):
    page = client.get(f"/series/{themed['food']}").get_data(as_text=True)
    assert "農林水産・食" in page and "/series?theme=food" in page
    english = client.get(f"/series/{themed['food']}", headers={"Accept-Language": "en"})
    assert "Farming, forestry, fishing and food" in english.get_data(as_text=True)


def test_the_theme_filters_the_page_the_feeds_and_the_api(client, themed):
    assert titles(client, "") == {"棚田の米づくり講座", "移住体験ツアー", "テーマのない講座"}
    assert titles(client, "?theme=food") == {"棚田の米づくり講座"}
    assert titles(client, "?theme=migration&prefecture=01") == {"移住体験ツアー"}
    assert titles(client, "?theme=food&prefecture=01") == set()
    assert titles(client, "?theme=space") == titles(client, "")  # not understood: ignored
    page = client.get("/series?theme=food").get_data(as_text=True)
    assert SELECTED.format("food") in page and "feed.atom?theme=food" in page
    atom = ET.fromstring(client.get("/series/feed.atom?theme=food").data)  # noqa: S314
    assert [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")] == ["棚田の米づくり講座"]
    ics = client.get("/series/feed.ics?theme=migration").get_data(as_text=True)
    assert "移住体験ツアー" in ics and "棚田" not in ics
    body = client.get("/api/v1/portal/series?theme=food").json
    assert [i["title"] for i in body["items"]] == ["棚田の米づくり講座"]
    assert body["items"][0]["theme"] == {"code": "food", "label": "農林水産・食"}
    refused = client.get("/api/v1/portal/series?theme=space")
    assert refused.status_code == 422 and "theme" in refused.json["error"]["fields"]


def test_the_series_api_takes_and_gives_the_theme(client, themed):
    assert client.get(f"/api/v1/series/{themed['food']}").json["theme"] == "food"
