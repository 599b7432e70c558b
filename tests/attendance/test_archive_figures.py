"""Archive viewing in the organisers' figures: the series' option counts it for completion the
same way on the dashboard, in the 年度 report and its files, in the API and for the 修了証;
the viewing itself is shown apart from attendance; all in a constant number of queries.

The sessions are final (their figures kept) before anyone watches: viewing goes on for days
after attendance became final, and must count all the same."""

import csv
import io
from datetime import datetime

import openpyxl
import pytest

from app.accounts.models import User
from app.archive.models import ArchiveViewing
from app.attendance import certificates
from app.attendance import services as attendance
from app.attendance.reports import org_report, participant_lines, year_sessions
from app.attendance.series_dashboard import series_dashboard
from app.core.errors import NotFound
from app.core.timefmt import TOKYO
from app.events.models import Series
from app.extensions import db
from tests.attendance.figures import QueryCounter, attend, series_at
from tests.attendance.test_api_attendance import _headers
from tests.conftest import create_user, csrf_token, login


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def watch(session_id: int, user_id: int, minutes: int) -> None:
    db.session.add(ArchiveViewing(session_id=session_id, user_id=user_id, seconds=minutes * 60))


@pytest.fixture
def case(app, world):
    """A series of two sessions in 2024年度, both final, attend 2 to complete:

        S1      S2      archive viewing
    A   venue   absent  S2 31 min       completes only with the archive counted
    B   absent  absent  S1, S2 31 min   completes only with the archive counted (never live)
    C   venue   online  -               completes live
    D   venue   absent  S2 10 min       too short to count
    """
    with app.app_context():
        series = series_at(
            world["org"], [jst(2024, 5, 1, 13), jst(2024, 6, 1, 13)], completion_min_sessions=2
        )
        first, second = series.sessions
        people = {}
        for key, outcomes in (("a", ["venue", "absent"]), ("b", ["absent", "absent"]),
                              ("c", ["venue", "online"]), ("d", ["venue", "absent"])):  # fmt: skip
            person = create_user(f"{key}@example.jp", furigana=f"{key}", prefecture="32")
            attend(series, person, outcomes)
            people[key] = person.id
        watch(second.id, people["a"], 31)
        watch(first.id, people["b"], 31)
        watch(second.id, people["b"], 31)
        watch(second.id, people["d"], 10)
        db.session.commit()
        return {"series": series.id, "first": first.id, "second": second.id, **people}


def counting(app, ids, minutes) -> None:
    with app.app_context():
        db.session.get(Series, ids["series"]).archive_counts_minutes = minutes
        db.session.commit()


def figures(app, world, ids) -> dict:
    """Who completed, as each place tells it."""
    with app.app_context():
        series = db.session.get(Series, ids["series"])
        sessions = year_sessions(world["org"], 2024)
        report = org_report(world["org"], 2024, sessions)
        lines = {p.furigana: p.completions for p in participant_lines(world["org"], 2024, sessions)}
        eligible = set()
        for key in "abcd":
            person = db.session.get(User, ids[key])
            if attendance.progress(person.id, [series.id])[series.id].completed:
                eligible.add(key)
                certificates.issue(person, series)  # a 修了証 to download
            else:
                with pytest.raises(NotFound):
                    certificates.issue(person, series)
        db.session.commit()
        return {
            "dashboard": series_dashboard(series).completions,
            "report": report.kpis.completions,
            "series_line": report.series[0].completions,
            "participant_lines": {k for k in "abcd" if lines.get(k)},
            "certificate": eligible,
            "report_archive": (report.kpis.archive_viewers, report.kpis.archive_minutes),
            "series_archive": (report.series[0].archive_viewers, report.series[0].archive_minutes),
        }


def test_archive_viewing_counts_for_completion_everywhere_only_when_the_series_says_so(
    app, world, case
):
    off = figures(app, world, case)
    assert off["dashboard"] == off["report"] == off["series_line"] == 1
    assert off["certificate"] == {"c"}
    # B never attended live: not a participant, so no line of theirs
    assert off["participant_lines"] == {"c"}
    # the viewing is shown apart from attendance, option or not: A, B and D; 31+31+31+10
    assert off["report_archive"] == off["series_archive"] == (3, 103)

    counting(app, case, 30)
    on = figures(app, world, case)
    assert on["dashboard"] == on["report"] == on["series_line"] == 3
    assert on["certificate"] == {"a", "b", "c"}
    assert on["participant_lines"] == {"a", "c"}  # B has no line: no live attendance
    assert on["report_archive"] == (3, 103)

    counting(app, case, 32)  # longer than anyone watched
    assert figures(app, world, case)["dashboard"] == 1


def test_the_report_page_and_files_count_it_and_show_the_viewing(app, world, case):
    counting(app, case, 30)
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    base = f"/orgs/{world['org']}/reports"

    page = client.get(f"{base}?year=2024").get_data(as_text=True)
    assert '<td data-kpi="archive_viewers">3</td>' in page
    assert '<td data-kpi="archive_minutes">103</td>' in page
    assert f'<td data-archive-series="{case["series"]}">3</td><td>103</td>' in page

    summary = client.get(f"{base}/export.csv?year=2024&table=summary").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(summary)))
    assert ["2024年度", "修了者数（延べ）", "3"] in rows
    assert ["2024年度", "アーカイブ視聴者数（出席とは別）", "3"] in rows
    assert ["2024年度", "アーカイブ視聴分数（合計）", "103"] in rows
    by_series = client.get(f"{base}/export.csv?year=2024&table=series").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(by_series)))
    assert rows[0] == ["講座", "年度内の回数", "参加者数", "修了者数", "アーカイブ視聴者数",
                       "アーカイブ視聴分数"]  # fmt: skip
    assert rows[1][1:] == ["2", "3", "3", "3", "103"]

    token = csrf_token(client, "/account")
    book = openpyxl.load_workbook(
        io.BytesIO(client.post(f"{base}/export.xlsx?year=2024", data={"csrf_token": token}).data)
    )
    kpis = {row[1]: row[2] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert kpis["修了者数（延べ）"] == 3
    assert kpis["アーカイブ視聴者数（出席とは別）"] == 3
    series_rows = list(book["講座別"].iter_rows(values_only=True))
    assert series_rows[1][3:] == (3, 3, 103)
    people = {row[1]: row[6] for row in book["参加者"].iter_rows(min_row=2, values_only=True)}
    assert people == {"a": 1, "c": 1, "d": 0}


def test_the_api_gives_the_archive_figures_and_the_same_completions(app, world, case):
    counting(app, case, 30)
    client = app.test_client()
    headers = _headers(app, world["organizer"])
    one = client.get(f"/api/v1/sessions/{case['second']}/attendance?counts_only=true",
                     headers=headers)  # fmt: skip
    assert one.status_code == 200
    assert one.json["archive"] == {"people": 3, "minutes": 72}
    series = client.get(f"/api/v1/series/{case['series']}/attendance", headers=headers).json
    assert series["archive_counts_minutes"] == 30
    assert [s["archive"] for s in series["sessions"]] == [
        {"people": 1, "minutes": 31},
        {"people": 3, "minutes": 72},
    ]
    people = {p["user"]["id"]: p for p in series["people"]}
    assert (people[case["a"]]["attended"], people[case["a"]]["archive"]) == (2, 1)
    assert (people[case["b"]]["attended"], people[case["b"]]["archive"]) == (2, 2)
    assert people[case["d"]]["archive"] == 0
    assert series["completions"] == 3

    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert set(spec["ArchiveFiguresOut"]["properties"]) == {"people", "minutes"}
    assert "archive" in spec["SessionAttendanceOut"]["properties"]
    assert "archive" in spec["SeriesSessionOut"]["properties"]
    assert "archive" in spec["SeriesPersonOut"]["properties"]


def _crowd(app, org_id: int, n: int) -> int:
    """A series counting archive viewing, n people: each attended the first session and
    watched the second's archive (after both were final)."""
    with app.app_context():
        series = series_at(
            org_id,
            [jst(2024, 5, 1, 13), jst(2024, 6, 1, 13)],
            completion_min_sessions=2,
            archive_counts_minutes=5,
        )
        for i in range(n):
            person = create_user(prefecture=f"{i % 47 + 1:02d}")
            attend(series, person, ["venue", "absent"])
            watch(series.sessions[1].id, person.id, 6 + i % 3)
        db.session.commit()
        return series.id


@pytest.mark.parametrize("page", ["dashboard", "report", "api"])
def test_counting_the_archive_costs_the_same_queries_for_5_or_50_people(app, world, page):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    headers = _headers(app, world["organizer"]) if page == "api" else {}
    counts = []
    for n in (5, 50):
        series_id = _crowd(app, world["org"], n)
        url = {
            "dashboard": f"/orgs/{world['org']}/series/{series_id}/dashboard",
            "report": f"/orgs/{world['org']}/reports?year=2024",
            "api": f"/api/v1/series/{series_id}/attendance",
        }[page]
        assert client.get(url, headers=headers).status_code == 200
        with app.app_context(), QueryCounter(db.engine) as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200
        counts.append(queries.count)
        if page == "dashboard":
            with app.app_context():
                assert series_dashboard(db.session.get(Series, series_id)).completions == n
    assert counts[0] == counts[1], counts
