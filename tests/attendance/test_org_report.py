"""The organisation's 年度 report: KPIs, fiscal-year boundaries in Japan's time, prefectures,
the CSV and Excel files, tenant isolation and a bad year."""

import csv
import functools
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest

from app.attendance import reports
from app.core.errors import ValidationFailed
from app.extensions import db
from tests.attendance.figures import QueryCounter, attend, series_at
from tests.commits import commits  # noqa: F401 (fixture)
from tests.conftest import create_user, csrf_token, login


def jst(*args) -> datetime:
    """A moment given in Japan's time (UTC+9), as aware UTC."""
    from app.core.timefmt import TOKYO

    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)


def test_a_fiscal_year_runs_from_april_to_march_in_japan():
    assert reports.fiscal_year_of(jst(2024, 3, 31, 23, 30)) == 2023
    assert reports.fiscal_year_of(jst(2024, 4, 1, 0, 0)) == 2024
    assert reports.fiscal_year_of(jst(2025, 1, 15, 10, 0)) == 2024
    start, end = reports.fiscal_year_bounds(2024)
    assert (start, end) == (jst(2024, 4, 1), jst(2025, 4, 1))
    assert start == datetime(2024, 3, 31, 15, 0, tzinfo=UTC)


def test_the_default_year_is_the_current_one_in_tokyo(app):
    with app.test_request_context():
        assert (
            reports.parse_fiscal_year(None, now=datetime(2025, 3, 31, 14, 59, tzinfo=UTC)) == 2024
        )
        assert reports.parse_fiscal_year("", now=datetime(2025, 3, 31, 15, 0, tzinfo=UTC)) == 2025
        assert reports.parse_fiscal_year(" 2023 ", now=datetime(2025, 5, 1, tzinfo=UTC)) == 2023
        for bad in ("abc", "1999", "2027", "２０２４", "2024.5", "-2024"):
            with pytest.raises(ValidationFailed):
                reports.parse_fiscal_year(bad, now=datetime(2025, 5, 1, tzinfo=UTC))


@pytest.fixture
def case(app, world):
    """FY2023: series P, 1 June 2023 and 31 March 2024 23:30 JST (still FY2023); attend 2.
    FY2024: series Q, 1 April 2024 00:00 JST, 10 May, 10 June; attend 2. Series R, 1 September
    2024, no completion rule. Another organisation's series in FY2024.

              P1      P2(31 Mar)  Q1(1 Apr)  Q2      Q3      R1      other org
    A (13)    venue   venue       online     online  -       online
    B (32)    -       online      venue      online  venue   -
    C (13)    -       -           -          -       venue   -
    D (01)    -       -           absent     partial -       -
    E (27)    -       -           -          -       -       -       venue
    """
    with app.app_context():
        org = world["org"]
        p = series_at(
            org, [jst(2023, 6, 1, 13), jst(2024, 3, 31, 23, 30)], completion_min_sessions=2
        )
        q = series_at(
            org,
            [jst(2024, 4, 1, 0, 0), jst(2024, 5, 10, 13), jst(2024, 6, 10, 13)],
            title="Q講座",
            completion_min_sessions=2,
        )
        r = series_at(org, [jst(2024, 9, 1, 13)], title="R講座")
        theirs = series_at(world["other_org"], [jst(2024, 7, 1, 13)], title="ほかの団体")
        a = create_user(
            "a@example.jp", name="青木 一郎", furigana="あおき いちろう", prefecture="13"
        )
        b = create_user("b@example.jp", name="=SUM(1)", furigana="いのうえ", prefecture="32")
        c = create_user(
            "c@example.jp", name="上田 三郎", furigana="うえだ さぶろう", prefecture="13"
        )
        d = create_user("d@example.jp", furigana="えがわ", prefecture="01")
        e = create_user("e@example.jp", furigana="おおた", prefecture="27")
        attend(p, a, ["venue", "venue"])
        attend(p, b, [None, "online"])
        attend(q, a, ["online", "online", None])
        attend(q, b, ["venue", "online", "venue"])
        attend(q, c, [None, None, "venue"])
        attend(q, d, ["absent", "partial", None])
        attend(r, a, ["online"])
        attend(theirs, e, ["venue"])
        return {"org": org, "q": q.id, "r": r.id}


def _report(year, org_id):
    sessions = reports.year_sessions(org_id, year)
    return reports.org_report(org_id, year, sessions), sessions


def test_the_kpis_of_a_year(app, case):
    with app.app_context():
        report, sessions = _report(2024, case["org"])
        assert len(sessions) == 4  # Q1 (1 April 00:00 JST) is in, P2 (31 March 23:30) is not
        assert report.kpis == reports.Kpis(
            participants=3,  # A, B, C; D never attended, E is another organisation's
            continuing_sessions=2,  # A (3), B (3)
            continuing_series=1,  # A: Q and R
            completions=2,  # A and B complete Q, which ends in FY2024
            venue_only=1,  # C
            online_only=1,  # A
            both=1,  # B
        )
        by_code = {code: (n, continuing) for code, n, continuing in report.prefectures}
        assert len(report.prefectures) == 47
        assert by_code["13"] == (2, 1) and by_code["32"] == (1, 1) and by_code["27"] == (0, 0)
        assert [(s.title, s.sessions, s.participants, s.completions) for s in report.series] == [
            ("Q講座", 3, 3, 2),
            ("R講座", 1, 1, 0),
        ]
        people = reports.participant_lines(case["org"], 2024, sessions)
        assert [(p.furigana, p.venue, p.online, p.series, p.completions) for p in people] == [
            ("あおき いちろう", 0, 3, 2, 1),
            ("いのうえ", 2, 1, 1, 1),
            ("うえだ さぶろう", 1, 0, 1, 0),
        ]


def test_the_31st_of_march_belongs_to_the_year_before(app, case):
    with app.app_context():
        report, sessions = _report(2023, case["org"])
    assert len(sessions) == 2
    assert report.kpis == reports.Kpis(
        participants=2,  # A (both P sessions), B (31 March, online)
        continuing_sessions=1,
        continuing_series=0,
        completions=1,  # A completes P, which ends on 31 March: FY2023
        venue_only=1,
        online_only=1,
        both=0,
    )


def _organizer(app, world):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    return client


def download(client, url: str):
    """A file with people's names in it is a POST (audited), from its button on the report
    page: the form's year and table as in the URL's query string, with the CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/account")})


def test_the_page(app, world, case):
    client = _organizer(app, world)
    response = client.get(f"/orgs/{case['org']}/reports?year=2024")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Q講座" in html and "東京都" in html and "沖縄県" in html
    assert 'value="2024" selected' in html
    overview = client.get(f"/orgs/{case['org']}").get_data(as_text=True)
    assert f"/orgs/{case['org']}/reports" in overview


def test_without_a_year_the_page_shows_the_current_one(app, world, case):
    response = _organizer(app, world).get(f"/orgs/{case['org']}/reports")
    assert response.status_code == 200
    current = reports.fiscal_year_of(datetime.now(UTC))
    assert f'value="{current}" selected' in response.get_data(as_text=True)


@pytest.mark.parametrize("year", ["abc", "1999", "99999", "２０２４", "2024'"])
def test_a_bad_year_gets_a_clear_message(app, world, case, year):
    client = _organizer(app, world)
    for path in ("", "/export.csv"):
        response = client.get(f"/orgs/{case['org']}/reports{path}", query_string={"year": year})
        assert response.status_code == 422, path
        assert 'role="alert"' in response.get_data(as_text=True)
    for path in ("/export.csv?table=participants", "/export.xlsx"):
        response = client.post(
            f"/orgs/{case['org']}/reports{path}",
            data={"year": year, "csrf_token": csrf_token(client, "/account")},
        )
        assert response.status_code == 422, path
        assert 'role="alert"' in response.get_data(as_text=True)


def test_the_csv_files_have_a_bom_and_japanese_headers(app, world, case):
    client = _organizer(app, world)
    base = f"/orgs/{case['org']}/reports/export.csv?year=2024"
    summary = client.get(base + "&table=summary")
    assert summary.status_code == 200
    assert summary.mimetype == "text/csv"
    assert "attachment" in summary.headers["Content-Disposition"]
    assert summary.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(summary.data.decode("utf-8-sig"))))
    assert rows[0] == ["年度", "指標", "数値"]
    assert ["2024年度", "参加者数（1回以上出席）", "3"] in rows
    assert ["2024年度", "修了者数（延べ）", "2"] in rows

    people = download(client, base + "&table=participants").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(people)))
    assert rows[0][:3] == ["氏名", "ふりがな", "都道府県"]
    assert rows[1] == ["青木 一郎", "あおき いちろう", "東京都", "0", "3", "2", "1"]
    assert rows[2][0] == "'=SUM(1)"  # not a formula in Excel

    prefectures = client.get(base + "&table=prefectures").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(prefectures)))
    assert len(rows) == 48 and ["13", "東京都", "2", "1"] in rows
    assert client.get(base + "&table=nope").status_code == 404


def test_the_excel_file_has_a_sheet_per_table(app, world, case):
    response = download(
        _organizer(app, world), f"/orgs/{case['org']}/reports/export.xlsx?year=2024"
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["概要", "都道府県別", "講座別", "会場別", "参加者"]
    kpis = {row[1]: row[2] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert kpis["参加者数（1回以上出席）"] == 3
    assert kpis["継続参加者数（2回以上出席）"] == 2
    assert kpis["修了者数（延べ）"] == 2
    prefectures = list(book["都道府県別"].iter_rows(values_only=True))
    assert len(prefectures) == 48 and ("32", "島根県", 1, 1) in prefectures
    people = list(book["参加者"].iter_rows(values_only=True))
    assert people[0] == ("氏名", "ふりがな", "都道府県", "会場参加回数", "オンライン参加回数",
                         "参加講座数", "修了講座数")  # fmt: skip
    assert people[2] == ("=SUM(1)", "いのうえ", "島根県", 2, 1, 1, 1)
    assert book["参加者"]["A3"].data_type == "s"  # text, not a formula


def test_every_excel_sheet_has_a_frozen_header_and_columns_as_wide_as_their_japanese(
    app, world, case
):
    response = download(
        _organizer(app, world), f"/orgs/{case['org']}/reports/export.xlsx?year=2024"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title  # the header stays when scrolling
        assert not re.search(r"[A-Za-z]{2,}", sheet.title)
        for cell in sheet[1]:
            assert not re.search(r"[A-Za-z]{2,}", cell.value), cell.value
    summary = book["概要"]
    # 「継続参加者数（2講座以上に出席）」: 15 full-width characters and a digit, twice as wide
    assert summary.column_dimensions["B"].width >= 31
    assert summary.column_dimensions["C"].width < 12  # a column of small numbers stays narrow
    people = book["参加者"]
    assert people.column_dimensions["A"].width >= 2 * len("青木 一郎") - 1
    assert all(sheet.column_dimensions[c].width for sheet in book for c in "ABC")


def test_downloads_with_names_are_audited(app, world, case):
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    client = _organizer(app, world)
    download(client, f"/orgs/{case['org']}/reports/export.xlsx?year=2024")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "report.exported")
        ).all()
        assert [(e.org_id, e.details["year"], e.details["rows"]) for e in events] == [
            (case["org"], 2024, 3)
        ]


def test_another_organisations_organiser_finds_nothing(app, world, case):
    client = app.test_client()
    login(client, world["emails"]["other"])
    for path in ("", "/export.csv?table=participants", "/export.xlsx"):
        assert client.get(f"/orgs/{case['org']}/reports{path}").status_code == 404
    for path in ("/export.csv?table=participants", "/export.xlsx"):
        assert download(client, f"/orgs/{case['org']}/reports{path}").status_code == 404
    # and their own report does not count our people
    response = client.get(f"/orgs/{world['other_org']}/reports/export.csv?year=2024")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert ["2024年度", "参加者数（1回以上出席）", "1"] in rows


def test_an_old_link_to_a_file_with_names_lands_on_the_report_and_writes_nothing(
    app,
    world,
    case,
    commits,  # noqa: F811
):
    client = _organizer(app, world)
    for path in ("/export.csv?year=2024&table=participants", "/export.xlsx?year=2024"):
        commits.reset()
        response = client.get(f"/orgs/{case['org']}/reports{path}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/orgs/{case['org']}/reports?year=2024"
        assert commits.edge == 0
    page = client.get(f"/orgs/{case['org']}/reports?year=2024").get_data(as_text=True)
    base = f"/orgs/{case['org']}/reports"
    assert f'<form method="post" action="{base}/export.xlsx"' in page  # the buttons
    assert f'<form method="post" action="{base}/export.csv"' in page


def test_staff_may_not_see_the_report(app, world, case):
    client = app.test_client()
    login(client, world["emails"]["staff"])
    assert client.get(f"/orgs/{case['org']}/reports").status_code == 403


def _crowd(app, org_id: int, n: int) -> None:
    with app.app_context():
        q = series_at(org_id, [jst(2024, 5, 1, 13), jst(2024, 6, 1, 13)], completion_min_sessions=2)
        r = series_at(org_id, [jst(2024, 7, 1, 13)])
        for i in range(n):
            person = create_user(prefecture=f"{i % 47 + 1:02d}")
            attend(q, person, [("venue", "online")[i % 2], "online"])
            if i % 3 == 0:
                attend(r, person, ["venue"])


@pytest.mark.parametrize(
    "path",
    ["?year=2024", "/export.csv?year=2024&table=participants", "/export.xlsx?year=2024"],
)
def test_the_query_count_does_not_grow_with_participants(app, world, path):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    other = world["other_org"]  # a second organisation for the larger crowd, same year
    from app.orgs.models import Membership, Role

    with app.app_context():
        db.session.add(Membership(org_id=other, user_id=world["organizer"], role=Role.organizer))
        db.session.commit()
    counts = []
    for org_id, n in ((world["org"], 5), (other, 50)):
        _crowd(app, org_id, n)
        url = f"/orgs/{org_id}/reports{path}"
        token = csrf_token(client, "/account")  # the files with names are POSTs (audited)
        fetch = client.get if path.startswith("?") else functools.partial(_post, client, token)
        assert fetch(url).status_code == 200
        with app.app_context(), QueryCounter(db.engine) as queries:
            assert fetch(url).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts


def _post(client, token: str, url: str):
    return client.post(url, data={"csrf_token": token})
