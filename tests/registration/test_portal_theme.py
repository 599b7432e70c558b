"""A series' theme: chosen (optionally) on the series form, shown on its page, and a filter of
the portal's search on the page, in its feeds and in the API."""

import html as htmllib
import re
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.events.models import Series, SessionVenue, Theme
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


def tiles_of(html: str) -> dict[str, tuple[str, str, str]]:
    """data-code -> (class of its tile, its link, its text without spaces)."""
    found = re.findall(
        r'<li class="tile ([^"]*)">\s*<a href="([^"]*)"[^>]*data-code="(\d\d)">(.*?)</a>',
        html,
        re.S,
    )
    return {
        code: (cls, htmllib.unescape(href), re.sub(r"<[^>]+>|\s", "", text))
        for cls, href, code, text in found
    }


def test_the_map_links_every_prefecture_with_its_current_count(client, themed):
    html = client.get("/series?theme=food").get_data(as_text=True)
    tiles = tiles_of(html)
    assert sorted(tiles) == [f"{n:02d}" for n in range(1, 48)]  # in JIS order, all 47
    shimane_cls, shimane_href, shimane_label = tiles["32"]
    assert shimane_label == "島根県募集・開催中：1" and "none" not in shimane_cls
    assert "r7" in shimane_cls and "c4" in shimane_cls  # beside 鳥取, above 広島
    # the link keeps the other filters and adds the prefecture
    assert shimane_href == "/series?theme=food&prefecture=32"
    assert tiles["13"][2] == "東京都募集・開催中：1" and tiles["47"][2] == "沖縄県募集・開催中：0"
    assert "none" in tiles["47"][0]
    places = {(c.split()[0], c.split()[1]) for c, _h, _l in tiles.values()}
    assert len(places) == 47  # no two tiles on one square
    chosen = client.get(shimane_href).get_data(as_text=True)
    assert 'aria-current="true" data-code="32"' in chosen
    assert "棚田の米づくり講座" in chosen and "移住体験ツアー" not in chosen


def test_the_map_counts_only_current_published_programmes(app, client, world, themed):
    with app.app_context():
        make_series(world["org"], title="下書き", prefecture="47", published=False)
    assert (
        tiles_of(client.get("/series").get_data(as_text=True))["47"][2] == "沖縄県募集・開催中：0"
    )


@pytest.fixture
def satellite(app, world):
    """島根's series with a サテライト会場 in 東京; a 北海道 online series; a past 大阪 venue."""
    with app.app_context():
        shimane = make_series(world["org"], title="東京・松江同時開催", prefecture="32")
        session = shimane.sessions[0]
        db.session.add(
            SessionVenue(
                session_id=session.id, name="東京会場", address="東京都千代田区有楽町2-10-1"
            )
        )
        make_series(world["other_org"], title="北海道オンライン", prefecture="01",
                    sessions=[("online", None, 9)])  # fmt: skip
        osaka = make_series(world["org"], title="大阪の会場講座", prefecture="27")
        for venue in osaka.sessions[0].venues:
            venue.address = "大阪府大阪市北区中之島1-3-20"
        db.session.commit()


def near(client, query: str) -> set[str]:
    page = client.get("/series" + query).get_data(as_text=True)
    return {t for t in ("東京・松江同時開催", "北海道オンライン", "大阪の会場講座") if t in page}


def test_venues_near_a_prefecture_or_its_region(client, satellite):
    assert near(client, "?near=13") == {"東京・松江同時開催"}  # its satellite venue
    assert near(client, "?near=32") == {"東京・松江同時開催"}  # its venue in 松江
    assert near(client, "?near=26") == set()  # 京都府 is not in 東京都's address
    assert near(client, "?near=26&near_region=y") == {"大阪の会場講座"}  # 近畿
    assert near(client, "?near=11&near_region=y") == {"東京・松江同時開催"}  # 関東
    assert near(client, "?near=01") == set()  # an online series has no venue
    assert near(client, "?near=13&prefecture=27") == set()  # combined with the others
    assert near(client, "?near=Atlantis") == near(client, "")  # not understood: ignored
    api = client.get("/api/v1/portal/series?near=28&near_region=true").json
    assert [i["title"] for i in api["items"]] == ["大阪の会場講座"]
    assert client.get("/api/v1/portal/series?near=Atlantis").status_code == 422


def test_a_logged_in_person_gets_a_link_to_venues_where_they_live(client, ctx, world, satellite):
    assert 'data-testid="near-me"' not in client.get("/series").get_data(as_text=True)
    login(client, "participant@example.jp")
    user = db.session.scalar(select(User).where(User.email == "participant@example.jp"))
    page = client.get("/series?theme=food").get_data(as_text=True)
    link = re.search(r'<a href="([^"]*)" data-testid="near-me">([^<]*)</a>', page)
    assert link and htmllib.unescape(link.group(1)) == f"/series?theme=food&near={user.prefecture}"
    assert "お住まいの" in link.group(2)
