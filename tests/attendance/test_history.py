"""参加履歴: the participant's sessions across organisations, with attendance and progress, as a
page, CSV, JSON and through the API, in a fixed number of queries."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event

from app.accounts.models import User
from app.attendance.history import history_csv
from app.attendance.history import status_label as label
from app.checkin import services as checkin
from app.core.timefmt import to_local
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.live.models import Connection
from app.registration import services as registration
from tests.attendance.helpers import periodic_pass
from tests.conftest import create_user, login
from tests.registration.factories import make_series

# --- building a history ----------------------------------------------------------------------


def move(session, *, days_ago: float = 0, starts_in: timedelta | None = None, hours: int = 2):
    """Move a session in time (people register while sessions are ahead, then time passes)."""
    start = utcnow() + starts_in if starts_in is not None else utcnow() - timedelta(days=days_ago)
    session.starts_at = start
    session.ends_at = start + timedelta(hours=hours)
    db.session.commit()


def stay(session, user, minutes: int, *, sid=None):
    """In the live room for the first `minutes` of the session."""
    db.session.add(
        Connection(
            session_id=session.id,
            user_id=user.id,
            sid=sid or f"s{user.id}-{session.id}",
            process="test",
            joined_at=session.starts_at,
            last_seen_at=session.starts_at + timedelta(minutes=minutes),
            left_at=session.starts_at + timedelta(minutes=minutes),
        )
    )
    db.session.commit()


def check_in(series, session, user):
    """A manual check-in while check-in is open; the session then moves 3 days back."""
    move(session, starts_in=timedelta(minutes=-20))
    verdict = checkin.decide(
        session,
        None,
        registration=registration.active_registration(series.id, user.id),
        source="manual",
    )
    assert verdict.status == "ok"
    move(session, days_ago=3)


def completed_online_series(
    org_id, user, *, title="修了できる講座", sessions=2, attended=2, others=()
):
    """An online series (threshold 50%, completion = every session) whose sessions were held
    days ago; the person was in the room for the whole of the first `attended` ones, and each
    of `others` ((user, attended) pairs) likewise."""
    series = make_series(
        org_id,
        title=title,
        sessions=(("online", None, 10),) * sessions,
        online_threshold_percent=50,
        completion_min_sessions=sessions,
    )
    people = [(user, attended), *others]
    for person, _count in people:
        registration.register(series, person, mode="online", consent=True)
    for i, session in enumerate(list(series.sessions)):
        move(session, days_ago=10 - i)
        for person, count in people:
            if i < count:
                stay(session, person, 120)
    periodic_pass()
    return series


@pytest.fixture
def two_orgs(app, world):
    """The participant in two organisations' series:
    A (しまね, hybrid, completion 2 of 3): venue check-in, 70 minutes online, one still ahead;
    B (ほかの町役場, online, completion 3 of 4): 20 minutes (partial), absent, cancelled in
    time (excused), and a session the organiser cancelled (中止)."""
    with app.app_context():
        person = db.session.get(User, world["participant"])
        a = make_series(
            world["org"],
            title="しまね関係人口ゼミ 2026",
            sessions=(("hybrid", 10, 10),) * 3,
            online_threshold_percent=50,
            completion_min_sessions=2,
        )
        registration.register(a, person, mode="venue", consent=True)
        a_sessions = list(a.sessions)  # (the relationship reorders itself as they move)
        registration.switch_mode(
            registration.active_registration(a.id, person.id), a_sessions[1].id, "online"
        )
        b = make_series(
            world["other_org"],
            title="ふるさとみつけ塾",
            sessions=(("online", None, 10),) * 4,
            online_threshold_percent=50,
            completion_min_sessions=3,
        )
        registration.register(b, person, mode="online", consent=True)
        b_sessions = list(b.sessions)
        b_registration = registration.active_registration(b.id, person.id)
        registration.cancel(b_registration, session_id=b_sessions[2].id)

        check_in(a, a_sessions[0], person)
        move(a_sessions[1], days_ago=2)
        stay(a_sessions[1], person, 70)
        for i, session in enumerate(b_sessions):
            move(session, days_ago=6 - i)
        events.cancel_session(b_sessions[3], None)
        db.session.commit()
        # cancelled a week before the session: excused
        b_registration.place_for(b_sessions[2].id).cancelled_at = utcnow() - timedelta(days=11)
        db.session.commit()
        stay(b_sessions[0], person, 20)
        periodic_pass()
        return {
            "a": a.id,
            "b": b.id,
            "a_sessions": [s.id for s in a_sessions],
            "b_sessions": [s.id for s in b_sessions],
        }


def ja(fn, *args, **kwargs):
    """What the participant (locale ja) reads, translated or not yet."""
    with force_locale("ja"):
        return fn(*args, **kwargs)


def statuses(html: str) -> list[str]:
    return re.findall(r'data-status="([a-z_]+)"', html)


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_both_organisations_statuses_minutes_and_progress(app, client, two_orgs):
    login(client, "participant@example.jp")
    response = client.get("/me/history")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "しまね関係人口ゼミ 2026",
        "ふるさとみつけ塾",
        "しまね関係人口ラボ",
        "ほかの町役場",
    ):
        assert text in html
    # series with the latest sessions first (A still has one ahead), sessions in order
    assert statuses(html) == [
        "attended_venue",
        "attended_online",
        "scheduled",
        "partial",
        "absent",
        "excused",
        "session_cancelled",
    ]
    with app.test_request_context():
        for status, minutes in (("attended_venue", None), ("partial", 20), ("excused", None)):
            assert ja(label, status, minutes) in html
        assert ja(label, "session_cancelled") == "中止"
        assert ja(label, "session_cancelled") in html
    assert "70" in html.split('data-status="attended_online"')[1].split("</li>")[0]

    a_progress = html.split(f'data-testid="progress-{two_orgs["a"]}"')[1].split("</p>")[0]
    with app.test_request_context():
        assert ja(_, "%(attended)d/%(sessions)d sessions attended", attended=2, sessions=3) in (
            a_progress
        )
        assert ja(_, "Completion: %(n)d sessions", n=2) in a_progress
        assert ja(_, "Completed") in a_progress
    assert f'data-testid="certificate-{two_orgs["a"]}"' in html  # 2 of 3, rule 2: completed
    assert f'data-testid="certificate-{two_orgs["b"]}"' not in html  # 0 of 3 held
    assert f"/me/certificates/{two_orgs['a']}.pdf" in html
    # the navigation links here
    assert 'href="/me/history"' in client.get("/registrations").get_data(as_text=True)


def test_someone_else_sees_only_their_own_history(client, two_orgs, world):
    login(client, "other@example.jp")
    html = client.get("/me/history").get_data(as_text=True)
    assert "しまね関係人口ゼミ 2026" not in html and statuses(html) == []


# --- downloads ---------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_session_with_tokyo_times(app, client, two_orgs):
    login(client, "participant@example.jp")
    rows = _csv(client.get("/me/history.csv"))
    header, body = rows[0], rows[1:]
    with app.test_request_context():
        expected = ja(lambda: history_csv([]).decode("utf-8-sig").strip().split(","))
        assert header == expected
        assert len(body) == 7
        by_session = {(r[1], r[2]): r for r in body}
        online = by_session[("しまね関係人口ゼミ 2026", "第2回")]
        assert online[0] == "しまね関係人口ラボ"
        assert online[6] == ja(label, "attended_online") and online[7] == "70"
        assert online[9:13] == ["2", "3", "2", ja(_, "yes")]
        partial = by_session[("ふるさとみつけ塾", "第1回")]
        assert partial[0] == "ほかの町役場" and partial[6] == ja(label, "partial", 20)
        assert partial[7] == "20"
        cancelled = by_session[("ふるさとみつけ塾", "第4回")]
        assert cancelled[6] == "中止" and cancelled[7] == ""

        from app.events.models import Session

        first = db.session.get(Session, two_orgs["a_sessions"][0])
        venue = by_session[("しまね関係人口ゼミ 2026", "第1回")]
        assert venue[3] == to_local(first.starts_at).strftime("%Y-%m-%d %H:%M")
        assert venue[8]  # checked in at


def test_json_download_and_api_give_the_same_history(app, client, two_orgs):
    login(client, "participant@example.jp")
    download = client.get("/me/history.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    api = client.get("/api/v1/me/history")
    assert api.status_code == 200
    assert api.json == data

    a, b = data["series"]
    assert (a["series_id"], b["series_id"]) == (two_orgs["a"], two_orgs["b"])
    assert a["organization"] == "しまね関係人口ラボ" and b["organization"] == "ほかの町役場"
    assert a["progress"] == {
        "attended": 2, "sessions": 3, "required": 2, "completed": True, "archive": 0
    }  # fmt: skip
    assert b["progress"] == {
        "attended": 0, "sessions": 3, "required": 3, "completed": False, "archive": 0
    }  # fmt: skip
    assert a["certificate_url"] == f"http://localhost/me/certificates/{two_orgs['a']}.pdf"
    assert b["certificate_url"] is None
    assert [s["status"] for s in a["sessions"]] == [
        "attended_venue",
        "attended_online",
        "scheduled",
    ]
    assert [s["status"] for s in b["sessions"]] == [
        "partial",
        "absent",
        "excused",
        "session_cancelled",
    ]
    assert [s["mode"] for s in a["sessions"]] == ["venue", "online", "venue"]
    assert [s["online_minutes"] for s in b["sessions"]] == [20, 0, 0, None]
    assert a["sessions"][1]["online_minutes"] == 70
    assert a["sessions"][0]["checked_in_at"] and a["sessions"][1]["checked_in_at"] is None
    assert a["sessions"][0]["session_id"] == two_orgs["a_sessions"][0]
    assert a["sessions"][0]["starts_at"].endswith("+00:00")


def test_the_api_history_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/me/history"]["get"]
    assert "200" in operation["responses"] and "401" in operation["responses"]


def test_the_api_needs_a_login(client):
    response = client.get("/api/v1/me/history")
    assert response.status_code == 401 and response.json["error"]["code"]


# --- cost --------------------------------------------------------------------------------------


def test_the_page_takes_the_same_number_of_queries_for_2_or_8_series(app, client, world, ctx):
    def queries_for_page():
        client.get("/me/history")  # the first visit finalises sessions that are due
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/me/history").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def add_series(n):
        with app.app_context():
            person = db.session.get(User, world["participant"])
            for i in range(n):
                org = world["org"] if i % 2 else world["other_org"]
                completed_online_series(org, person, title=f"講座 {i}", sessions=3, attended=i % 3)

    login(client, "participant@example.jp")
    add_series(2)
    few = queries_for_page()
    add_series(6)
    assert queries_for_page() == few
    html = client.get("/me/history").get_data(as_text=True)
    assert statuses(html).count("attended_online") == 1 + 6  # i % 3 of 3 sessions each


def test_nothing_registered_yet(client, world, ctx):
    create_user("new@example.jp")
    login(client, "new@example.jp")
    response = client.get("/me/history")
    assert response.status_code == 200 and statuses(response.get_data(as_text=True)) == []
    assert client.get("/api/v1/me/history").json == {"series": []}
