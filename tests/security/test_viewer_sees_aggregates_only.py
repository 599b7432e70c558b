"""Done means (issue 15): a viewer (委託元) never receives a personal field or a figure of fewer
than 5 people. Walks every route of the authorization matrix the viewer may open (pages, the
CSV and the API), with a planted participant name, reading, email and free-text answer that must
never appear, and groups of 2 and 3 people that must show as "<5"."""

import csv
import html
import io
import re

import pytest

from app.extensions import db
from app.programme.models import ViewerGrant
from tests.conftest import login
from tests.programme.factories import (
    PLANTED_EMAIL,
    PLANTED_FURIGANA,
    PLANTED_NAME,
    PLANTED_TEXT,
    VIEWER_EMAIL,
    two_programmes,
)
from tests.security.test_authorization_matrix import (
    API,
    PAGES,
    _api_token,
    targets,  # noqa: F401 (fixture)
    world,  # noqa: F401 (fixture)
)

#: what the walk must never find: the planted person, their free text, the other participants'
#: names and addresses, the organisations' members
NEVER = [
    PLANTED_NAME,
    PLANTED_FURIGANA,
    PLANTED_EMAIL,
    PLANTED_TEXT,
    "参加 a1",
    "a1@example.jp",
    "b-online0@example.jp",
    "外部 太郎",
    "石倉 陽子",
    "owner@example.jp",
]


@pytest.fixture
def planted(app, world, targets):  # noqa: F811
    """Two programmes with planted personal data, viewed by 島根県's owner, who is also
    given the matrix's grant (so every row meant for the viewer opens for them)."""
    with app.app_context():
        ids = two_programmes(world)
        db.session.add(ViewerGrant(org_id=world["org"], viewer_user_id=ids["viewer"]))
        db.session.commit()
    return ids


def _viewer_routes(rows):
    return [(e, p) for e, method, p, _b, expected in rows
            if method == "GET" and expected["viewer"] == 200]  # fmt: skip


def _leaks(text: str) -> list[str]:
    text = html.unescape(text)
    return [s for s in NEVER if s in text]


def _walk(app, targets, planted) -> tuple[list[str], set[str]]:  # noqa: F811
    """Open every route the viewer may open, as the viewer (a page session and an API token);
    what leaked where, and the endpoints opened."""
    client = app.test_client()
    login(client, VIEWER_EMAIL)
    token = _api_token(app, {"viewer": planted["viewer"]}, "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    ids = {**targets, **planted}
    pages = [
        *_viewer_routes(PAGES),
        ("programme.series", "/programme/orgs/{org_a}/series/{series_a}"),
        ("programme.series", "/programme/orgs/{org_b}/series/{series_b}"),
        ("programme.export_csv", "/programme/export.csv"),
    ]
    api = [
        *_viewer_routes(API),
        ("api_programme.series", "/api/v1/programme/orgs/{org_a}/series/{series_a}"),
        ("api_programme.series", "/api/v1/programme/orgs/{org_b}/series/{series_b}"),
    ]
    leaked, opened = [], set()
    for endpoint, path, extra in [*((e, p, {}) for e, p in pages),
                                  *((e, p, headers) for e, p in api)]:  # fmt: skip
        response = client.get(path.format(**ids), headers=extra)
        assert response.status_code == 200, path
        opened.add(endpoint)
        if found := _leaks(response.get_data().decode("utf-8", "replace")):
            leaked.append(f"{path}: {found}")
    return leaked, opened


def test_a_viewer_never_receives_a_name_or_free_text(app, world, targets, planted):  # noqa: F811
    leaked, opened = _walk(app, targets, planted)
    assert not leaked, leaked
    assert {
        "programme.overview",
        "programme.export_csv",
        "programme.series",
        "api_programme.programme",
        "api_programme.series",
        "main.mypage",
        "accounts.profile",
    } <= opened


def test_the_walk_sees_free_text_that_leaks(app, world, targets, planted, monkeypatch):  # noqa: F811
    """The control: were the survey results read with their free text (the organisers' path)
    and shown as a question, the walk would find the planted answer."""
    from app.programme import figures
    from app.surveys.results import results

    shown = figures._survey_line

    def with_texts(survey):
        line = shown(survey)
        line.title += " ".join(t for q in results(survey).questions for t, _name in q.texts)
        return line

    monkeypatch.setattr(figures, "_survey_line", with_texts)
    leaked, _opened = _walk(app, targets, planted)
    assert leaked and all(PLANTED_TEXT in line for line in leaked)


def _row(page: str, key: str) -> list[str]:
    row = re.search(rf'<tr data-kpi="{key}">(.*?)</tr>', page, re.S).group(1)
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_groups_of_fewer_than_5_show_as_under_5_everywhere(app, world, planted):  # noqa: F811
    """A has 2 people online only, B has 3 (5 together, but neither part may be told by
    subtracting): every form of the figure says "<5"."""
    client = app.test_client()
    login(client, VIEWER_EMAIL)
    page = client.get("/programme").get_data(as_text=True)
    assert _row(page, "online_only") == ["<5", "<5", "<5"]
    assert _row(page, "participants") == ["9", "9", "18"]  # 7 + 2 and 6 + 3

    rows = list(csv.reader(io.StringIO(client.get("/programme/export.csv").data.decode())))
    assert rows[0][0] == "\ufeff年度"
    online = [r for r in rows if r[3] == "オンライン参加のみ"]
    assert [r[4] for r in online] == ["<5", "<5", "<5"]

    kpis = {k["key"]: k for k in client.get("/api/v1/programme").json["kpis"]}
    assert kpis["online_only"]["per_organization"] == ["<5", "<5"]
    assert kpis["online_only"]["sum"] == "<5"

    a = f"/api/v1/programme/orgs/{planted['org_a']}/series/{planted['series_a']}"
    body = client.get(a).json
    second = body["sessions"][1]
    assert second["attended_online"] == "<5" and second["attended_venue"] == 7
    no = body["surveys"][0]["questions"][1]["options"][1]  # いいえ: one person
    assert no == {"label": "いいえ", "people": "<5", "percent": "<5"}
    assert all(q["label"] != "感想" for q in body["surveys"][0]["questions"])  # free text
