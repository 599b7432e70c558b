"""Participant lists per series and per session: filters, search, order, waitlist positions,
one query set whatever the number of people, the CSV for Excel, and who may see them."""

import csv
import io
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.conftest import create_user, login, post_form
from tests.manage.helpers import populated_series
from tests.registration.factories import make_series

NAMES = re.compile(
    r'<tr id="registration-\d+">\s*<th scope="row" class="mg-who">\s*<strong>([^<]+)</strong>'
)


def names(response) -> list[str]:
    assert response.status_code == 200
    return NAMES.findall(response.get_data(as_text=True))


@pytest.fixture
def listed(app, world, client):
    with app.app_context():
        series, registrations = populated_series(world["org"])
        ids = {
            "series": series.id,
            "s1": series.sessions[0].id,
            "s2": series.sessions[1].id,
            "questions": {q.label: q.id for q in series.questions},
            "registrations": {k: r.id for k, r in registrations.items()},
        }
    login(client, "organizer@example.jp")
    ids["base"] = f"/orgs/{world['org']}/series/{ids['series']}"
    return ids


def test_the_list_is_sorted_by_furigana_and_leaves_out_the_cancelled(client, listed):
    response = client.get(f"{listed['base']}/participants")
    assert names(response) == ["佐藤 一郎", "鈴木 花子", "高橋 三郎", "田中 美咲"]
    html = response.get_data(as_text=True)
    assert "sato@example.jp" in html and "東京都" in html and "さとう いちろう" in html
    assert html.count('class="mg-waitlist-position"') == 1  # 高橋 waits for the venue
    assert "1" in re.search(r'class="mg-waitlist-position">([^<]+)<', html)[1]


FILTERS = [
    ("status=waitlisted", ["高橋 三郎"]),  # waiting for the venue, confirmed online
    ("status=cancelled", ["伊藤 健"]),
    ("status=all", ["伊藤 健", "佐藤 一郎", "鈴木 花子", "高橋 三郎", "田中 美咲"]),
    ("prefecture=13", ["佐藤 一郎", "高橋 三郎"]),
    ("prefecture=東京都&status=all", ["伊藤 健", "佐藤 一郎", "高橋 三郎"]),
    ("mode=venue", ["佐藤 一郎", "鈴木 花子", "高橋 三郎"]),
    ("mode=venue&status=confirmed", ["佐藤 一郎", "鈴木 花子"]),
    ("session={s1}&mode=online", ["田中 美咲"]),
    ("session={s2}&mode=online&prefecture=27", ["鈴木 花子"]),
    ("q=サトウ", ["佐藤 一郎"]),  # katakana finds the hiragana reading
    ("q=すずきはなこ", ["鈴木 花子"]),  # spaces do not matter
    ("q=花子", ["鈴木 花子"]),
    ("q=TANAKA@example", ["田中 美咲"]),
    ("q=%25", []),  # a LIKE wildcard is just a character
    ("q=_", []),
    ("status=nonsense&mode=car&prefecture=99&session=abc", None),  # ignored, never an error
]


def test_filters_and_search(client, listed):
    everyone = ["佐藤 一郎", "鈴木 花子", "高橋 三郎", "田中 美咲"]
    wrong = []
    for query, expected in FILTERS:
        url = f"{listed['base']}/participants?" + query.format(**listed)
        found = names(client.get(url))
        if found != (everyone if expected is None else expected):
            wrong.append(f"{query}: {found}")
    assert wrong == []


def test_a_sessions_list_shows_its_places_only(client, listed):
    base = f"{listed['base']}/sessions/{listed['s1']}/participants"
    assert names(client.get(base)) == ["佐藤 一郎", "鈴木 花子", "高橋 三郎", "田中 美咲"]
    assert names(client.get(f"{base}?mode=venue&status=waitlisted")) == ["高橋 三郎"]
    assert names(client.get(f"{base}?mode=online")) == ["田中 美咲"]
    html = client.get(base).get_data(as_text=True)
    assert "第2回" not in html.split('<table class="mg-participants">')[1].split("</table>")[0]


def test_the_list_takes_the_same_number_of_queries_for_5_or_25_people(app, client, listed, ctx):
    def queries_for_page():
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"{listed['base']}/participants?status=all").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = queries_for_page()
    from app.events.models import Series
    from app.registration import services as reg

    series = db.session.get(Series, listed["series"])
    for i in range(20):
        reg.register(series, create_user(f"more{i}@example.jp"), mode="online", consent=True)
    assert queries_for_page() == few


def test_a_long_list_comes_in_pages_and_the_message_still_reaches_everyone(
    app, client, listed, ctx, monkeypatch
):
    from app.registration import manage_services

    monkeypatch.setattr(manage_services, "PER_PAGE", 2)
    url = f"{listed['base']}/participants?status=all"
    first = client.get(url)
    html = first.get_data(as_text=True)
    assert names(first) == ["伊藤 健", "佐藤 一郎"]
    assert "5件中 1〜2件" in html
    assert 'rel="next"' in html and 'rel="prev"' not in html
    # the filters stay in the page links
    next_link = re.search(r'href="([^"]+)" rel="next"', html)[1].replace("&amp;", "&")
    assert "status=all" in next_link and "page=2" in next_link
    assert names(client.get(next_link)) == ["鈴木 花子", "高橋 三郎"]
    last = client.get(f"{url}&page=3")
    assert names(last) == ["田中 美咲"]
    assert 'rel="next"' not in last.get_data(as_text=True)
    # past the last page, or nonsense: the last page, or the first
    assert names(client.get(f"{url}&page=99")) == ["田中 美咲"]
    assert names(client.get(f"{url}&page=abc")) == ["伊藤 健", "佐藤 一郎"]
    assert names(client.get(f"{url}&page=-4")) == ["伊藤 健", "佐藤 一郎"]
    # the message form counts everyone matching (with an address), not the page
    assert "メールアドレスのある5人に送信されます" in html


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_has_people_places_and_answers(client, listed):
    rows = _csv(post_form(client, f"{listed['base']}/participants.csv"))
    header, body = rows[0], rows[1:]
    # person, 3 columns a session (the third: archive viewing), a column a question
    assert len(header) == 8 + 3 * 2 + 3
    assert header[-3:] == ["きっかけ", "関心", "メモ"]
    assert header[8].startswith("第1回") and header[11].startswith("第2回")
    assert header[10] == "第1回：アーカイブ視聴（分）"
    assert [r[0] for r in body] == ["佐藤 一郎", "鈴木 花子", "高橋 三郎", "田中 美咲"]
    sato = body[0]
    assert sato[1:4] == ["さとう いちろう", "sato@example.jp", "東京都"]
    assert sato[-3:] == ["SNS", "農業 / 観光", "'=cmd|' /C calc'!A0"]  # no formula for Excel
    tanaka = body[3]
    assert tanaka[-3:] == ["", "教育", ""]
    assert tanaka[3] == "島根県"
    takahashi = body[2]
    assert takahashi[9].endswith("(1)")  # waiting first in line for the venue


def test_the_table_sorts_by_a_column_both_ways_and_keeps_the_filters(client, listed):
    base = f"{listed['base']}/participants"
    assert names(client.get(f"{base}?sort=prefecture")) == [
        "佐藤 一郎", "高橋 三郎", "鈴木 花子", "田中 美咲"]  # fmt: skip  # 13, 13, 27, 32
    assert names(client.get(f"{base}?sort=-furigana")) == [
        "田中 美咲", "高橋 三郎", "鈴木 花子", "佐藤 一郎"]  # fmt: skip
    assert names(client.get(f"{base}?sort=nonsense")) == names(client.get(base))

    html = client.get(f"{base}?prefecture=13&sort=prefecture").text
    assert 'aria-sort="ascending"' in html  # the prefecture column says how it is sorted
    links = re.findall(r'<th scope="col" class="mg-sortable"[^>]*>\s*<a href="([^"]+)"', html)
    assert len(links) == 3 and all("prefecture=13" in link for link in links)
    assert any("sort=-prefecture" in link for link in links)  # a second click reverses it
    assert "participants.csv?prefecture=13&amp;sort=prefecture" in html  # the CSV in that order
    rows = _csv(post_form(client, f"{listed['base']}/participants.csv?sort=-furigana"))
    assert [r[0] for r in rows[1:]] == ["田中 美咲", "高橋 三郎", "鈴木 花子", "佐藤 一郎"]


def test_a_japanese_organisers_csv_has_japanese_headers_only(client, listed):
    header = _csv(post_form(client, f"{listed['base']}/participants.csv"))[0]
    assert header[:8] == ["氏名", "ふりがな", "メールアドレス", "都道府県", "地域とのかかわり",
                          "状態", "申込日時", "申込方法"]  # fmt: skip
    assert header[8].startswith("第1回") and header[8].endswith("：参加方法")
    assert header[9].startswith("第1回") and header[9].endswith("：申込状況")
    assert not [h for h in header if re.search(r"[A-Za-z]{2,}", h)]  # no English word
    session_csv = f"{listed['base']}/sessions/{listed['s1']}/participants.csv"
    header = _csv(post_form(client, session_csv))[0]
    assert not [h for h in header if re.search(r"[A-Za-z]{2,}", h)]


def test_csv_applies_the_filters(client, listed):
    rows = _csv(post_form(client, f"{listed['base']}/participants.csv?prefecture=13&status=all"))
    assert [r[0] for r in rows[1:]] == ["伊藤 健", "佐藤 一郎", "高橋 三郎"]
    session_csv = f"{listed['base']}/sessions/{listed['s1']}/participants.csv?mode=online"
    assert [r[0] for r in _csv(post_form(client, session_csv))[1:]] == ["田中 美咲"]
    page = client.get(f"{listed['base']}/participants?prefecture=13").get_data(as_text=True)
    assert "participants.csv?prefecture=13" in page  # the link downloads what the page shows


def test_csv_export_is_audited(client, listed, world, ctx):
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    post_form(client, f"{listed['base']}/participants.csv?status=waitlisted")
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "participants.exported"))
    assert entry.actor_id == world["organizer"] and entry.org_id == world["org"]
    assert entry.details["rows"] == 1 and entry.details["filters"] == {"status": "waitlisted"}


def test_csv_streams_after_the_audit_is_committed(client, listed, ctx):
    """The file goes out a batch at a time (the people are read while it is sent), and its
    audit record is already committed when the first byte leaves."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent

    response = post_form(client, f"{listed['base']}/participants.csv")
    assert response.is_streamed and response.mimetype == "text/csv"
    first = next(iter(response.response))
    assert first.startswith("\ufeff".encode()) and "氏名".encode() in first
    with db.engine.connect() as other:  # another connection sees the record already
        seen = other.scalar(select(func.count()).where(AuditEvent.event == "participants.exported"))
    assert seen == 1
    assert "佐藤 一郎" in response.get_data(as_text=True)


def test_other_organisations_get_404_and_staff_403(app, world, listed):
    base = listed["base"]
    session = f"{base}/sessions/{listed['s1']}"
    other = app.test_client()
    login(other, "other@example.jp")
    foreign = base.replace(f"/orgs/{world['org']}/", f"/orgs/{world['other_org']}/")
    for url in (
        f"{base}/participants",
        f"{foreign}/participants",
        f"{foreign}/participants.csv",
        f"{foreign}/sessions/{listed['s1']}/participants",
    ):
        assert other.get(url).status_code == 404, url
    staff = app.test_client()
    login(staff, "staff@example.jp")
    for url in (f"{base}/participants", f"{base}/participants.csv", f"{session}/participants"):
        assert staff.get(url).status_code == 403, url
    participant = app.test_client()
    login(participant, "sato@example.jp")
    assert participant.get(f"{base}/participants.csv").status_code == 404
    assert post_form(participant, f"{base}/participants.csv").status_code == 404
    assert post_form(staff, f"{base}/participants.csv").status_code == 403
    assert post_form(other, f"{foreign}/participants.csv").status_code == 404


def test_a_session_of_another_series_is_not_found(client, world, listed, ctx):
    another = make_series(world["org"], title="別の講座")
    wrong = f"{listed['base']}/sessions/{another.sessions[0].id}/participants"
    assert client.get(wrong).status_code == 404
    assert client.get(wrong + ".csv").status_code == 404
    assert post_form(client, wrong + ".csv").status_code == 404
    response = post_form(
        client,
        wrong.replace("/participants", "/messages"),
        {"subject": "x", "body": "y"},
        token_from=listed["base"],
    )
    assert response.status_code == 404
