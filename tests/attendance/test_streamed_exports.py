"""The CSV downloads of attendance are streamed (the BOM and header at once, the rows read in
batches) and hold the very bytes the files held when they were built whole; the Excel file is
written in constant memory and reads back as before."""

import csv
import io
from urllib.parse import urlencode

import openpyxl
import pytest
from flask import request_finished

from app.attendance import report_exports as exports
from app.attendance import reports
from app.attendance.history import history, history_csv
from app.core import csvfile
from app.extensions import db
from tests.attendance.figures import QueryCounter
from tests.attendance.test_history import two_orgs  # noqa: F401 (fixture)
from tests.attendance.test_org_report import (  # noqa: F401 (fixture)
    _crowd,
    _organizer,
    case,
    download,
)
from tests.conftest import csrf_token, login


@pytest.fixture
def sent(app):
    """The responses as the app hands them to the server (the test client's own always look
    streamed): a streamed one holds a generator, not its bytes."""
    found = []

    def keep(_sender, response, **_extra):
        found.append(response)

    request_finished.connect(keep, app)
    yield found
    request_finished.disconnect(keep, app)


def _whole_file(header, rows) -> bytes:
    """How the files were written before they streamed: all at once into one string."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_the_chunks_join_into_the_whole_file():
    rows = [["=1+1", 3, None, "山田 太郎", "a,b", 'say "hi"'] for _ in range(1201)]
    cells = [[csvfile.cell(c) for c in row] for row in rows]
    parts = list(csvfile.chunks(["氏名", "人数"], cells, batch=500))
    assert parts[0] == "\ufeff氏名,人数\r\n".encode()  # the header goes out before any row
    assert len(parts) == 1 + 3  # 500 + 500 + 201 rows
    assert b"".join(parts) == _whole_file(["氏名", "人数"], cells)
    assert cells[0][:3] == ["'=1+1", 3, ""]  # not a formula; numbers stay numbers


@pytest.mark.parametrize("table", exports.TABLES)
def test_each_report_csv_is_streamed_with_the_same_bytes(app, world, case, table, sent):  # noqa: F811
    client = _organizer(app, world)
    url = f"/orgs/{case['org']}/reports/export.csv?year=2024&table={table}"
    response = download(client, url) if table == "participants" else client.get(url)
    assert response.status_code == 200
    assert sent[-1].is_streamed and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kakawari-report-2024-{table}.csv"'
    )
    body = response.get_data()
    with app.test_request_context():
        sessions = reports.year_sessions(case["org"], 2024)
        report = reports.org_report(case["org"], 2024, sessions)
        people = reports.participant_lines(case["org"], 2024, sessions)
        expected = _whole_file(
            exports.HEADERS[table],
            [[exports.cell(c) for c in row] for row in exports.rows(table, report, people)],
        )
    assert body == expected
    if table == "participants":
        assert len(people) == 3 and body.count(b"\r\n") == 4


def test_the_history_csv_is_streamed_with_the_same_bytes(app, client, two_orgs, sent):  # noqa: F811
    login(client, "participant@example.jp")
    response = client.get("/me/history.csv")
    assert response.status_code == 200 and sent[-1].is_streamed
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    with app.test_request_context():
        from app.accounts.models import User

        user = db.session.scalar(db.select(User).filter_by(email="participant@example.jp"))
        entries = history(user)
        assert body == history_csv(entries)
        assert body.count(b"\r\n") == 1 + 7


def test_the_participants_are_read_in_a_constant_number_of_queries(app, world):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    from app.orgs.models import Membership, Role

    other = world["other_org"]
    with app.app_context():
        db.session.add(Membership(org_id=other, user_id=world["organizer"], role=Role.organizer))
        db.session.commit()
    counts = []
    for org_id, n in ((world["org"], 5), (other, 60)):
        _crowd(app, org_id, n)
        url = f"/orgs/{org_id}/reports/export.csv?year=2024&table=participants"
        download(client, url).get_data()
        token = csrf_token(client, "/account")
        with app.app_context(), QueryCounter(db.engine) as queries:
            # the rows are read while the body goes out
            body = client.post(url, data={"csrf_token": token}).get_data()
        assert body.count(b"\r\n") == n + 1
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_the_excel_file_counts_its_participants_in_the_audit_log(app, world, case, sent):  # noqa: F811
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    client = _organizer(app, world)
    response = download(
        client, f"/orgs/{case['org']}/reports/export.csv?year=2024&table=participants"
    )
    response.get_data()
    book = openpyxl.load_workbook(
        io.BytesIO(download(client, f"/orgs/{case['org']}/reports/export.xlsx?year=2024").data)
    )
    assert book.sheetnames == ["概要", "都道府県別", "講座別", "会場別", "参加者"]
    assert book["参加者"].max_row == 4
    assert not sent[-1].is_streamed  # a zip file: built whole, then sent
    with app.app_context():
        found = db.session.execute(
            select(AuditEvent.details).where(AuditEvent.event == "report.exported")
        ).scalars()
        assert sorted((d["table"], d["rows"]) for d in found) == [
            ("participants", 3),
            ("xlsx", 3),
        ]


def test_a_real_server_sends_the_csv_in_chunks(app, world, case):  # noqa: F811
    """Through a real WSGI server, as in production: chunked, the same bytes, the request's
    context and database session alive while the rows are read."""
    import http.client
    import threading

    from werkzeug.serving import make_server

    client = _organizer(app, world)
    url = f"/orgs/{case['org']}/reports/export.csv?year=2024&table=participants"
    expected = download(client, url).get_data()
    token = csrf_token(client, "/account")
    cookie = client.get_cookie("session")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        connection.request(
            "POST",
            url,
            body=urlencode({"csrf_token": token}),
            headers={
                "Cookie": f"session={cookie.value}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Length") is None
        assert response.read() == expected
        connection.close()
    finally:
        server.shutdown()
