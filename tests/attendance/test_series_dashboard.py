"""The series dashboard: per-session figures, retention, the funnel, completions, new against
returning participants, prefectures and relations, on a small hand-built case."""

import json
import re
from datetime import timedelta

import pytest

from app.attendance.series_dashboard import series_dashboard
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from tests.attendance.figures import QueryCounter, attend, series_at
from tests.conftest import create_user, login

DAY = timedelta(days=1)


@pytest.fixture
def case(app, world):
    """Series S: three sessions held (30, 20, 10 days ago) and one in ten days; attend at least
    2 for completion. An earlier series E of the same organisation, a later one L, and an
    earlier one of another organisation.

        S1      S2       S3      S4       earlier
    A   venue   venue    online  place    E
    B   online  absent   online  -        -
    C   venue   partial  -       -        (other organisation's only)
    D   absent  venue    venue   -        E
    X   excused absent   absent  -        E      (never attended S: not a participant)
    F   -       -        -       place    -
    B attended L, which started after S: that does not make B returning.
    """
    with app.app_context():
        now = utcnow()
        org, other_org = world["org"], world["other_org"]
        s = series_at(
            org,
            [now - 30 * DAY, now - 20 * DAY, now - 10 * DAY, now + 10 * DAY],
            title="しまね関係人口ゼミ",
            completion_min_sessions=2,
        )
        earlier = series_at(org, [now - 60 * DAY], title="前年度の講座")
        later = series_at(org, [now - 5 * DAY], title="後の講座")
        elsewhere = series_at(other_org, [now - 90 * DAY], title="ほかの団体の講座")
        a = create_user("a@example.jp", prefecture="13", relations=("interest",))
        b = create_user("b@example.jp", prefecture="13", relations=("origin", "work"))
        c = create_user("c@example.jp", prefecture="32", relations=("interest",))
        d = create_user("d@example.jp", prefecture="27", relations=())
        x = create_user("x@example.jp", prefecture="01")
        f = create_user("f@example.jp", prefecture="14")
        attend(s, a, ["venue", "venue", "online", "place"])
        attend(s, b, ["online", "absent_online", "online", None])
        attend(s, c, ["venue", "partial", None, None])
        attend(s, d, ["absent", "venue", "venue", None])
        attend(s, x, ["excused", "absent", "absent", None])
        attend(s, f, [None, None, None, "place"])
        for person in (a, d, x):
            attend(earlier, person, ["venue"])
        attend(later, b, ["online"])
        attend(elsewhere, c, ["venue"])
        return {"series": s.id, "org": org}


def test_the_figures_of_a_small_series(app, case):
    with app.app_context():
        board = series_dashboard(db.session.get(Series, case["series"]))
    counts = [f.counts for f in board.sessions]
    assert [c["registered"] for c in counts] == [5, 5, 4, 2]
    assert [(c["venue"], c["online"]) for c in counts] == [(4, 1), (3, 2), (2, 2), (2, 0)]
    assert [c["attended_venue"] for c in counts] == [2, 2, 1, 0]
    assert [c["attended_online"] for c in counts] == [1, 0, 2, 0]
    assert [c["partial"] for c in counts] == [0, 1, 0, 0]
    assert [c["absent"] for c in counts] == [1, 2, 1, 0]
    assert [c["excused"] for c in counts] == [1, 0, 0, 0]

    assert board.cohort == 3  # A, B, C attended session 1
    assert [f.retained for f in board.sessions] == [3, 1, 2, None]
    assert board.funnel == [(1, 4), (2, 3), (3, 1), (4, 0)]
    assert board.participants == 4
    assert (board.required, board.completions) == (2, 3)  # A, B, D
    assert (board.returning, board.new) == (2, 2)  # A and D attended E; X never attended S
    assert board.prefectures == [("13", 2), ("27", 1), ("32", 1)]
    assert board.relations == [("origin", 1), ("work", 1), ("interest", 2)]


def _chart_data(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S
    )
    assert found, "the page embeds its chart data"
    return json.loads(found.group(1))


def test_the_page_shows_tables_and_embeds_the_chart_data(app, world, case):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    response = client.get(f"/orgs/{case['org']}/series/{case['series']}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<table" in html and "東京都" in html
    assert "<script>" not in html  # the CSP forbids inline script: JSON only
    data = _chart_data(html)
    assert data["retention"]["series"][0]["data"] == [3, 1, 2]
    assert data["funnel"]["series"][0]["data"] == [4, 3, 1, 0]
    assert data["sessions"]["series"][0]["data"] == [2, 2, 1, 0]
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/dashboard_charts.js" in html


def test_the_series_page_links_to_the_dashboard(app, world, case):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    html = client.get(f"/orgs/{case['org']}/series/{case['series']}").get_data(as_text=True)
    assert f"/orgs/{case['org']}/series/{case['series']}/dashboard" in html


def test_another_organisations_organiser_finds_nothing(app, world, case):
    client = app.test_client()
    login(client, world["emails"]["other"])  # owner of the other organisation
    assert client.get(f"/orgs/{case['org']}/series/{case['series']}/dashboard").status_code == 404
    with app.app_context():
        theirs = series_at(world["other_org"], [utcnow() - DAY], title="ほかの講座").id
    # their own series under our organisation's address does not exist either
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    assert client.get(f"/orgs/{case['org']}/series/{theirs}/dashboard").status_code == 404


def test_an_empty_series_has_a_dashboard(app, world):
    with app.app_context():
        empty = series_at(world["org"], [utcnow() + 3 * DAY], title="これから").id
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    response = client.get(f"/orgs/{world['org']}/series/{empty}/dashboard")
    assert response.status_code == 200


def _crowd(app, org_id: int, n: int) -> int:
    """A series of three held sessions and an earlier one, n people attending."""
    with app.app_context():
        now = utcnow()
        series = series_at(org_id, [now - 9 * DAY, now - 6 * DAY, now - 3 * DAY], title=f"{n}人")
        earlier = series_at(org_id, [now - 30 * DAY], title=f"{n}人の前")
        for i in range(n):
            person = create_user(prefecture=f"{i % 47 + 1:02d}", relations=("work",))
            attend(series, person, [("venue", "online", "partial")[i % 3], "online", "absent"])
            if i % 2:
                attend(earlier, person, ["venue"])
        return series.id


def test_the_query_count_does_not_grow_with_participants(app, world):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    counts = []
    for n in (5, 50):
        series_id = _crowd(app, world["org"], n)
        url = f"/orgs/{world['org']}/series/{series_id}/dashboard"
        assert client.get(url).status_code == 200  # warm: nothing left to compute
        with app.app_context(), QueryCounter(db.engine) as queries:
            assert client.get(url).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts
