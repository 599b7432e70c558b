"""The organiser's session dashboard (counts, people, corrections) and one person's history
within an organisation."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.accounts.models import User
from app.attendance import dashboards
from app.attendance import services as attendance
from app.attendance.models import Attendance, AttendanceStatus
from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.events.models import Series, Session
from app.extensions import db
from app.registration import services as registration
from tests.attendance.helpers import shift as _shift
from tests.attendance.helpers import stay as _stay
from tests.conftest import create_user, csrf_token, login
from tests.registration.factories import make_series

S = AttendanceStatus


def _url(world, series_id, session_id, tail=""):
    return f"/orgs/{world['org']}/series/{series_id}/sessions/{session_id}/attendance{tail}"


def _client(app, email):
    """Logged in as someone who reads English, so that the assertions on messages hold before
    and after their Japanese translation."""
    with app.app_context():
        db.session.scalars(select(User).where(User.email == email)).one().locale = "en"
        db.session.commit()
    client = app.test_client()
    login(client, email)
    return client


def _record(session_id, user_id) -> Attendance:
    return db.session.scalars(
        select(Attendance).where(Attendance.session_id == session_id, Attendance.user_id == user_id)
    ).one()


def _correct(client, world, series_id, session_id, record_id, status, reason, query=""):
    """POST the row's correction form, as the browser does (with the CSRF token)."""
    return client.post(
        _url(world, series_id, session_id, f"/{record_id}{query}"),
        data={"status": status, "reason": reason, "csrf_token": csrf_token(client, "/account")},
    )


def _count(html, key) -> int:
    return int(re.search(rf'data-count="{key}">(\d+)<', html).group(1))


@pytest.fixture
def finished(app, past):
    """`past` with its records computed."""
    with app.app_context():
        attendance.compute_session(db.session.get(Session, past[1]))
        db.session.commit()  # services flush; the caller commits
    return past


def test_counts_and_the_venue_online_split_cover_every_status(app, world, finished):
    series_id, session_id, people = finished
    html = _client(app, "organizer@example.jp").get(_url(world, series_id, session_id)).text
    counts = {k: _count(html, k) for k in ("registered", *(s.value for s in S))}
    assert counts == {
        "registered": 5,
        "attended_venue": 1,
        "attended_online": 1,
        "partial": 1,
        "absent": 1,
        "excused": 1,
    }
    with app.app_context():
        summary = dashboards.session_summary(session_id)
        assert summary.counts["venue"] == 3 and summary.counts["online"] == 2
        assert summary.by_mode["venue"]["attended_venue"] == 1
        assert summary.by_mode["venue"]["excused"] == 1
        assert summary.by_mode["online"]["attended_online"] == 1
        assert summary.by_mode["online"]["partial"] == 1
        assert dashboards.session_counts([session_id])[session_id] == summary.counts
        # the series' second session has not started: there, everything is zero
        second = db.session.get(Series, series_id).sessions[1].id
        assert set(dashboards.session_counts([second])[second].values()) == {0}
    assert 'data-split="online.partial">1<' in html
    # the people: everyone, by furigana, with minutes online and a link to their history
    assert html.index("さんか 0") < html.index("さんか 4")
    assert f"/orgs/{world['org']}/people/{people['online']}" in html
    assert re.search(r'data-field="online_minutes">70<', html)
    assert 'src="/static/js/attendance.js"' in html and "<script>" not in html


def test_the_series_page_links_each_session_to_its_dashboard(app, world, finished):
    series_id, session_id, _people = finished
    page = _client(app, "organizer@example.jp").get(f"/orgs/{world['org']}/series/{series_id}")
    assert _url(world, series_id, session_id) in page.text


def test_the_table_filters_by_status_and_sorts_by_furigana(app, world, finished):
    series_id, session_id, _people = finished
    client = _client(app, "organizer@example.jp")
    only_absent = client.get(_url(world, series_id, session_id, "?status=absent")).text
    assert "さんか 3" in only_absent and "さんか 0" not in only_absent
    backwards = client.get(_url(world, series_id, session_id, "?sort=-furigana")).text
    assert backwards.index("さんか 4") < backwards.index("さんか 0")
    # an unknown filter is everyone, not an error
    assert client.get(_url(world, series_id, session_id, "?status=nope&sort=x")).status_code == 200


def test_staff_see_no_attendance_dashboard_and_cannot_correct(app, world, finished):
    """Staff check people in at the door; the organisation's attendance records are not theirs."""
    series_id, session_id, people = finished
    staff = _client(app, "staff@example.jp")
    page = staff.get(_url(world, series_id, session_id))
    assert page.status_code == 403
    assert "さんか" not in page.text
    with app.app_context():
        record_id = _record(session_id, people["absent"]).id
    assert staff.get(_url(world, series_id, session_id, f"/{record_id}")).status_code == 403
    refused = _correct(staff, world, series_id, session_id, record_id, "attended_venue", "見ました")
    assert refused.status_code == 403


def test_an_organiser_corrects_a_record_with_a_reason_and_it_is_audited(app, world, finished):
    series_id, session_id, people = finished
    client = _client(app, "organizer@example.jp")
    with app.app_context():
        record_id = _record(session_id, people["absent"]).id

    def correct(status, reason, query=""):
        return _correct(client, world, series_id, session_id, record_id, status, reason, query)

    # the row links to the record's own correction page, keeping where the organiser was
    correction = _url(world, series_id, session_id, f"/{record_id}?status=absent")
    listed = client.get(_url(world, series_id, session_id, "?status=absent")).text
    assert f'href="{correction}"' in listed and 'name="reason"' not in listed
    form = client.get(correction)
    assert form.status_code == 200
    assert 'name="csrf_token"' in form.text and 'name="reason"' in form.text
    assert f'action="{correction}"' in form.text and "さんか 3" in form.text

    # no reason: refused beside the field, nothing changes
    no_reason = correct("attended_venue", "  ")
    assert no_reason.status_code == 422
    assert "Give a reason for the correction" in no_reason.text
    assert 'id="reason-error"' in no_reason.text and 'aria-invalid="true"' in no_reason.text
    # a status that does not exist, or a NUL in the reason: a clear message, not a 500
    bad = correct("present", "x")
    assert bad.status_code == 422 and "Choose one of the attendance statuses." in bad.text
    assert correct("absent", "\x00").status_code == 422
    with app.app_context():
        assert _record(session_id, people["absent"]).override_status is None

    done = correct("attended_venue", "紙の名簿で確認", "?status=absent&page=2")
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"?status=absent&page=2#attendance-{record_id}")
    with app.app_context():
        record = _record(session_id, people["absent"])
        assert record.status is S.attended_venue and record.computed_status is S.absent
        assert record.overridden_by_id == world["organizer"]
        audited = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "attendance.override")
        ).one()
        assert audited.details["reason"] == "紙の名簿で確認"
    page = client.get(_url(world, series_id, session_id)).text
    assert "紙の名簿で確認" in page and "景山 健" in page  # the marker says why and who
    assert _count(page, "attended_venue") == 2 and _count(page, "absent") == 0
    # the correction page opens on the status that counts now
    again = client.get(_url(world, series_id, session_id, f"/{record_id}")).text
    assert '<option selected value="attended_venue">' in again

    # back to automatic, also with a reason
    assert correct("", "誤りでした").status_code == 302
    with app.app_context():
        record = _record(session_id, people["absent"])
        assert record.status is S.absent and record.override_status is None


def test_a_record_of_another_session_cannot_be_corrected_through_this_one(app, world, finished):
    series_id, session_id, people = finished
    client = _client(app, "organizer@example.jp")
    with app.app_context():
        record_id = _record(session_id, people["absent"]).id
        second = db.session.get(Series, series_id).sessions[1].id
    wrong = _correct(client, world, series_id, second, record_id, "attended_venue", "x")
    assert wrong.status_code == 404


def test_another_organisation_does_not_see_the_dashboard(app, world, finished):
    series_id, session_id, _people = finished
    other = _client(app, "other@example.jp")
    assert other.get(_url(world, series_id, session_id)).status_code == 404
    # nor through its own organisation's URL
    url = f"/orgs/{world['other_org']}/series/{series_id}/sessions/{session_id}/attendance"
    assert other.get(url).status_code == 404


# --- a page of the table costs the same queries for 3 people or 15 --------------------------


@contextmanager
def _counting_queries(app):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _session_under_way(world, n, prefix):
    """A hybrid session that started an hour ago: n people, a third checked in, a third in
    the room, one corrected by the organiser."""
    series = make_series(world["org"], sessions=(("hybrid", 50, 50),), title=f"講座 {prefix}")
    people = [
        create_user(f"{prefix}{i}@example.jp", name=f"人 {i}", furigana=f"ひと {i:02d}")
        for i in range(n)
    ]
    for i, user in enumerate(people):
        registration.register(series, user, mode="venue" if i % 2 else "online", consent=True)
    session = series.sessions[0]
    _shift(session, starts_in=timedelta(minutes=-20))
    for user in people[::3]:
        reg = registration.active_registration(series.id, user.id)
        checkin.decide(session, None, registration=reg, source="manual")
    _shift(session, starts_in=timedelta(hours=-1))
    for user in people[1::3]:
        _stay(session, user, 0, 45)
    attendance.compute_session(session)
    db.session.commit()  # services flush; the caller commits
    organizer = db.session.get(User, world["organizer"])
    attendance.override(_record(session.id, people[2].id), "excused", "電話あり", organizer)
    db.session.commit()  # services flush; the caller commits
    return series.id, session.id


def test_the_dashboard_query_count_does_not_grow_with_the_participants(app, world, monkeypatch):
    monkeypatch.setattr(dashboards, "PER_PAGE", 5)
    client = _client(app, "organizer@example.jp")
    counted = {}
    for n, prefix, query, rows in (
        (3, "small", "", 3),
        (15, "large", "", 5),
        (15, "paged", "?page=2&status=absent&sort=-furigana", 5),
    ):
        with app.app_context():
            series_id, session_id = _session_under_way(world, n, prefix)
        url = _url(world, series_id, session_id)
        assert client.get(url).status_code == 200  # brings the session up to date
        with _counting_queries(app) as statements:
            page = client.get(url + query)
        assert page.text.count("data-record=") <= rows
        counted[prefix] = len(statements)
    assert counted["small"] == counted["large"] == counted["paged"], counted


@pytest.fixture
def twelve(app, world, monkeypatch):
    """A session under way with 12 people, ひと 00 to ひと 11, five to a page."""
    monkeypatch.setattr(dashboards, "PER_PAGE", 5)
    with app.app_context():
        return _session_under_way(world, 12, "page")


def _people_on(html) -> list[str]:
    return re.findall(r'<td class="mg-furigana">(ひと \d\d)</td>', html)


def test_the_table_shows_a_page_at_a_time_by_furigana(app, world, twelve):
    series_id, session_id = twelve
    client = _client(app, "organizer@example.jp")
    first = client.get(_url(world, series_id, session_id)).text
    assert _people_on(first) == [f"ひと {i:02d}" for i in range(5)]
    assert "1–5 of 12" in first and "Page 1 of 3" in first
    assert _count(first, "registered") == 12  # the counts are everyone's, not the page's

    second = client.get(_url(world, series_id, session_id, "?page=2")).text
    assert _people_on(second) == [f"ひと {i:02d}" for i in range(5, 10)]
    assert "6–10 of 12" in second
    assert _url(world, series_id, session_id, "?page=3") in second  # next
    assert f'href="{_url(world, series_id, session_id)}">« First page' in second

    last = client.get(_url(world, series_id, session_id, "?page=3")).text
    assert _people_on(last) == ["ひと 10", "ひと 11"] and "11–12 of 12" in last

    backwards = client.get(_url(world, series_id, session_id, "?sort=-furigana&page=2")).text
    assert _people_on(backwards) == [f"ひと {i:02d}" for i in range(6, 1, -1)]
    # the links of a filtered, sorted page keep the filter and the order
    assert re.search(r'href="[^"]*\?(?=[^"]*sort=-furigana)(?=[^"]*page=3)', backwards)


@pytest.mark.parametrize(
    ("page", "shown"),
    [("0", "ひと 00"), ("-3", "ひと 00"), ("abc", "ひと 00"), ("99", "ひと 10"),
     (str(10**30), "ひと 10")],
)  # fmt: skip
def test_a_page_out_of_range_is_the_first_or_the_last(app, world, twelve, page, shown):
    series_id, session_id = twelve
    client = _client(app, "organizer@example.jp")
    answer = client.get(_url(world, series_id, session_id, f"?page={page}"))
    assert answer.status_code == 200
    assert _people_on(answer.text)[0] == shown


def test_the_table_searches_names_and_furigana(app, world, twelve):
    series_id, session_id = twelve
    client = _client(app, "organizer@example.jp")
    by_reading = client.get(_url(world, series_id, session_id, "?q=ヒト1")).text
    assert _people_on(by_reading) == ["ひと 10", "ひと 11"] and "1–2 of 2" in by_reading
    assert _count(by_reading, "registered") == 12
    by_name = client.get(_url(world, series_id, session_id, "?q=人+7")).text
    assert _people_on(by_name) == ["ひと 07"]
    # the search, filter and order stay in the links (here: the 修正 link)
    assert re.search(r'attendance/\d+\?q=%E4%BA%BA\+7"', by_name)
    nobody = client.get(_url(world, series_id, session_id, "?q=%E3%81%AA%00")).text  # "な\x00"
    assert len(_people_on(nobody)) == 5  # control characters: no search, not a 500
    assert (
        "Nobody matches the search."
        in client.get(_url(world, series_id, session_id, "?q=いない人")).text
    )


# --- one person's history within the organisation -------------------------------------------


@pytest.fixture
def two_orgs(app, world, finished):
    """The `past` participant who came at the venue also registered with another organisation."""
    series_id, _session_id, people = finished
    with app.app_context():
        elsewhere = make_series(world["other_org"], title="ほかの町の講座")
        person = db.session.get(User, people["venue"])
        registration.register(elsewhere, person, mode="online", consent=True)
        return series_id, elsewhere.id, people["venue"]


def test_an_organiser_sees_one_persons_history_in_their_organisation_only(app, world, two_orgs):
    series_id, _elsewhere_id, person_id = two_orgs
    page = _client(app, "organizer@example.jp").get(f"/orgs/{world['org']}/people/{person_id}")
    assert page.status_code == 200
    assert "しまね関係人口ゼミ 2026" in page.text and "ほかの町の講座" not in page.text
    assert "参加 0" in page.text  # their name
    assert "at-status-attended_venue" in page.text  # the first session, at the venue
    assert f"/orgs/{world['org']}/series/{series_id}" in page.text

    other = _client(app, "other@example.jp")
    assert other.get(f"/orgs/{world['org']}/people/{person_id}").status_code == 404
    theirs = other.get(f"/orgs/{world['other_org']}/people/{person_id}")
    assert theirs.status_code == 200
    assert "ほかの町の講座" in theirs.text and "しまね関係人口ゼミ 2026" not in theirs.text


def test_someone_who_never_registered_with_the_organisation_is_not_found(app, world, two_orgs):
    _series_id, _elsewhere_id, _person_id = two_orgs
    organizer = _client(app, "organizer@example.jp")
    assert organizer.get(f"/orgs/{world['org']}/people/{world['staff']}").status_code == 404
    assert organizer.get(f"/orgs/{world['org']}/people/99999").status_code == 404
    staff = _client(app, "staff@example.jp")
    assert staff.get(f"/orgs/{world['org']}/people/{world['participant']}").status_code == 403


def test_the_history_shows_each_session_and_the_progress(app, world, finished):
    _series_id, session_id, people = finished
    with app.app_context():
        organizer = db.session.get(User, world["organizer"])
        record = _record(session_id, people["partial"])
        attendance.override(record, "attended_online", "録画視聴", organizer)
        db.session.commit()  # services flush; the caller commits
        regs = dashboards.registrations_in_org(world["org"], people["partial"])
        (line,) = dashboards.person_history(regs, people["partial"])
        first = line.sessions[0]
        assert first.session.id == session_id and first.record.status is S.attended_online
        assert line.progress.attended == 1 and line.progress.required == 2
    client = _client(app, "organizer@example.jp")
    page = client.get(f"/orgs/{world['org']}/people/{people['partial']}")
    assert "録画視聴" in page.text


def test_before_the_start_the_dashboard_shows_who_is_expected_per_mode(app, world):
    """Nobody has attended yet, but people are registered: the page counts and lists them."""
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 2, 5)])
        people = [
            ("venue", "a@example.jp", "会場 一", "かいじょう いち"),
            ("venue", "b@example.jp", "会場 二", "かいじょう に"),
            ("venue", "c@example.jp", "待機 三", "たいき さん"),  # the venue is full: waitlisted
            ("online", "d@example.jp", "配信 四", "はいしん よん"),
            ("online", "e@example.jp", "取消 五", "とりけし ご"),
        ]
        registered = {}
        for mode, email, name, furigana in people:
            user = create_user(email, name=name, furigana=furigana)
            registered[email] = registration.register(series, user, mode=mode, consent=True)
        registration.cancel(registered["e@example.jp"])
        series_id, session_id = series.id, series.sessions[0].id

    client = _client(app, "organizer@example.jp")
    html = client.get(_url(world, series_id, session_id)).text
    assert "Nobody yet." not in html
    assert "until then, this page shows who is expected" in html.lower()
    assert re.search(r"<strong>3</strong> <span>Expected \(confirmed places\)", html)
    assert 'data-expected="venue">2<' in html and 'data-expected="online">1<' in html
    assert re.search(r"<strong>1</strong> <span>Waitlisted", html)
    listed = re.findall(r'<td><a href="/orgs/\d+/people/\d+">([^<]+)</a></td>', html)
    assert listed == ["会場 一", "会場 二", "配信 四"]  # venue first, then online, by furigana
    assert "取消 五" not in html and "待機 三" not in html

    searched = client.get(_url(world, series_id, session_id, "?q=はいしん")).text
    assert re.findall(r'<td><a href="/orgs/\d+/people/\d+">([^<]+)</a></td>', searched) == [
        "配信 四"
    ]
