"""The portal's search API answers what /series shows for the same filters (one query function),
paged, for anyone; and the prefectures with their current programmes."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.core.types import utcnow
from app.extensions import db
from tests.registration.factories import make_series
from tests.registration.test_portal import catalogue, found  # noqa: F401 (a fixture)

SOON = (utcnow() + timedelta(days=20)).date().isoformat()
LATER = (utcnow() + timedelta(days=60)).date().isoformat()


def api_titles(client, query: str = "", **headers) -> set[str]:
    response = client.get("/api/v1/portal/series" + query, headers=headers)
    assert response.status_code == 200, (query, response.json)
    return {item["title"] for item in response.json["items"]}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?prefecture=32",
        "?q=出雲",
        "?q=ほかの町",
        "?q=東京都",
        "?q=100%25",
        "?online=y",
        "?open=y",
        "?format=venue",
        f"?date_from={SOON}&date_to={LATER}",
        f"?date_to={SOON}",
        "?online=y&prefecture=13",
    ],
)
def test_the_api_and_the_page_find_the_same_series(client, catalogue, query):  # noqa: F811
    assert api_titles(client, query) == found(client, query)


def test_finished_programmes_are_apart(client, catalogue):  # noqa: F811
    finished = api_titles(client, "?finished=true")
    assert finished == found(client, "?tab=finished") == {"終わった講座"}


def test_each_series_carries_its_public_fields(client, catalogue, world):  # noqa: F811
    body = client.get("/api/v1/portal/series?prefecture=島根県").json
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    (item,) = body["items"]
    assert item["title"] == "島根の会場講座"
    assert item["prefecture"] == {"code": "32", "name": "島根県", "region": "中国"}
    assert item["municipality"] == "松江市"
    assert item["org"]["id"] == world["org"] and item["org"]["url"].endswith(f"/o/{world['org']}")
    assert item["url"].endswith(f"/series/{catalogue['shimane']}")
    assert item["formats"] == ["venue"] and item["venues"] and item["open_for_entry"] is True
    assert item["next_starts_at"] and item["first_starts_at"] <= item["last_ends_at"]
    closed = client.get("/api/v1/portal/series?q=締切後").json["items"]
    assert [i["open_for_entry"] for i in closed] == [False]


def test_the_search_is_paged(app, client, world):
    with app.app_context():
        for n in range(5):
            make_series(world["org"], title=f"ページ講座{n}", prefecture="32")
    first = client.get("/api/v1/portal/series?per_page=2").json
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    pages = [client.get(f"/api/v1/portal/series?per_page=2&page={p}").json for p in (1, 2, 3)]
    titles = [i["title"] for page in pages for i in page["items"]]
    assert sorted(titles) == [f"ページ講座{n}" for n in range(5)]
    assert client.get("/api/v1/portal/series?per_page=101").status_code == 422


@pytest.mark.parametrize(
    "query, field",
    [
        ("?prefecture=Atlantis", "prefecture"),
        ("?format=teleport", "format"),
        ("?date_from=2026-13-01", "date_from"),
        ("?date_from=2026-05-02&date_to=2026-05-01", "date_to"),
        ("?page=0", "page"),
    ],
)
def test_bad_filters_answer_a_validation_error(client, query, field):
    response = client.get("/api/v1/portal/series" + query)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]


def test_anyone_reads_it_with_or_without_a_token_of_any_scope(client, ctx, catalogue):  # noqa: F811
    user = db.session.scalar(select(User).where(User.email == "owner@example.jp"))
    for scope in ("read", "checkin", "organiser"):
        _row, secret = create_api_token(user, scope, scope=scope)
        db.session.commit()
        auth = {"Authorization": f"Bearer {secret}"}
        assert api_titles(client, "?prefecture=32", **auth) == {"島根の会場講座"}


def test_the_prefectures_count_current_programmes(client, catalogue):  # noqa: F811
    rows = client.get("/api/v1/portal/prefectures").json
    assert len(rows) == 47 and rows[0]["code"] == "01" and rows[0]["region"] == "北海道"
    by_code = {r["code"]: r for r in rows}
    assert by_code["32"]["current"] == 1  # the finished one and the draft do not count
    assert by_code["13"]["current"] == 2 and by_code["47"]["current"] == 0
    assert by_code["32"]["url"].endswith("/prefectures/32")


def test_the_document_describes_the_search_with_an_example(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/portal/series"]["get"]
    assert op["operationId"] == "portal_series"
    assert op["responses"]["200"]["content"]["application/json"]["example"]["items"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "prefecture", "online", "open", "finished", "page", "per_page"} <= names
