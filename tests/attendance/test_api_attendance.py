"""The attendance API: a session's counts and records, a series' attendance per person, and
corrections; who may call each."""

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.audit.models import AuditEvent
from app.events.models import Series, Session
from app.extensions import db
from app.registration import services as registration
from tests.conftest import create_user, csrf_token, login


def _headers(app, user_id) -> dict:
    """A token of someone who reads English, so that the assertions on messages hold before
    and after their Japanese translation."""
    with app.app_context():
        user = db.session.get(User, user_id)
        user.locale = "en"
        secret = create_api_token(user, "test")[1]
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _record_id(app, session_id, user_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Attendance.id).where(
                Attendance.session_id == session_id, Attendance.user_id == user_id
            )
        )


@pytest.fixture
def finished(app, past):
    """`past` with its records computed."""
    with app.app_context():
        attendance.compute_session(db.session.get(Session, past[1]))
        db.session.commit()  # services flush; the caller commits
    return past


def test_a_sessions_attendance_has_counts_the_split_and_every_record(app, world, client, finished):
    _series_id, session_id, people = finished
    answer = client.get(
        f"/api/v1/sessions/{session_id}/attendance", headers=_headers(app, world["organizer"])
    )
    assert answer.status_code == 200
    data = answer.json
    assert data["session_id"] == session_id and data["final"] is False
    assert data["counts"] == {
        "registered": 5,
        "venue": 3,
        "online": 2,
        "attended_venue": 1,
        "attended_online": 1,
        "partial": 1,
        "absent": 1,
        "excused": 1,
    }
    assert data["by_mode"]["online"] == {
        "registered": 2,
        "attended_venue": 0,
        "attended_online": 1,
        "partial": 1,
        "absent": 0,
        "excused": 0,
    }
    records = {r["user"]["id"]: r for r in data["records"]}
    online = records[people["online"]]
    assert online["user"] == {
        "id": people["online"],
        "name": "参加 1",
        "furigana": "さんか 1",
        "prefecture": {"code": "13", "name": "東京都"},
    }
    assert (online["mode"], online["status"], online["computed_status"]) == (
        "online",
        "attended_online",
        "attended_online",
    )
    assert online["online_minutes"] == 70 and online["checked_in_at"] is None
    assert online["override"] is None
    assert records[people["venue"]]["checked_in_at"] is not None
    assert [r["user"]["furigana"] for r in data["records"]] == [f"さんか {i}" for i in range(5)]


def test_a_sessions_records_a_page_at_a_time_or_some_of_them(app, world, client, finished):
    _series_id, session_id, people = finished
    url = f"/api/v1/sessions/{session_id}/attendance"
    headers = _headers(app, world["organizer"])

    def furigana(query):
        answer = client.get(url + query, headers=headers)
        assert answer.status_code == 200, answer.json
        assert answer.json["counts"]["registered"] == 5  # the counts are always everyone's
        return [r["user"]["furigana"] for r in answer.json["records"]]

    assert furigana("?page=2&per_page=2") == ["さんか 2", "さんか 3"]
    assert furigana("?page=3&per_page=2") == ["さんか 4"]
    assert furigana("?page=9&per_page=2") == []  # past the last page
    assert furigana("?per_page=3") == ["さんか 0", "さんか 1", "さんか 2"]
    assert furigana("?page=1") == [f"さんか {i}" for i in range(5)]  # 100 to a page
    some = ",".join(str(_record_id(app, session_id, people[k])) for k in ("excused", "venue"))
    assert furigana(f"?ids={some}") == ["さんか 0", "さんか 4"]
    assert furigana("?counts_only=true") == []
    for bad in ("?page=0", "?per_page=0", "?per_page=100000", "?page=x", "?ids=1,x"):
        refused = client.get(url + bad, headers=headers)
        assert refused.status_code == 422, bad
        assert refused.json["error"]["code"] == "validation_error"


def test_a_series_attendance_per_session_and_per_person(app, world, client, finished):
    series_id, session_id, people = finished
    with app.app_context():
        series = db.session.get(Series, series_id)
        second = series.sessions[1].id
        organizer = db.session.get(User, world["organizer"])
        record = db.session.get(Attendance, _record_id(app, session_id, people["online"]))
        attendance.override(record, "attended_online", "確認済み", organizer)
        db.session.commit()  # services flush; the caller commits
    answer = client.get(
        f"/api/v1/series/{series_id}/attendance", headers=_headers(app, world["organizer"])
    )
    assert answer.status_code == 200
    data = answer.json
    assert data["series_id"] == series_id and data["completion_min_sessions"] == 2
    assert [s["id"] for s in data["sessions"]] == [session_id, second]
    assert data["sessions"][0]["counts"]["registered"] == 5
    assert data["sessions"][1]["counts"]["registered"] == 0  # not started yet
    person = next(p for p in data["people"] if p["user"]["id"] == people["venue"])
    assert person == {
        "user": person["user"],
        "attended": 1,
        "archive": 0,
        "completed": False,
        "sessions": {str(session_id): "attended_venue"},
    }
    absent = next(p for p in data["people"] if p["user"]["id"] == people["absent"])
    assert absent["attended"] == 0 and absent["sessions"] == {str(session_id): "absent"}
    assert data["completions"] == 0


def test_an_organiser_corrects_a_record_through_the_api(app, world, client, finished):
    _series_id, session_id, people = finished
    url = f"/api/v1/attendance/{_record_id(app, session_id, people['absent'])}"
    headers = _headers(app, world["organizer"])

    missing = client.patch(url, json={"status": "attended_venue"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json["error"]["code"] == "validation_error"
    assert "reason" in missing.json["error"]["fields"]
    blank = client.patch(url, json={"status": "attended_venue", "reason": " "}, headers=headers)
    assert blank.status_code == 422 and "reason" in blank.json["error"]["fields"]
    bad = client.patch(url, json={"status": "present", "reason": "x"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {"status": ["Choose one of the attendance statuses."]}
    wrong_type = client.patch(url, json={"status": 5, "reason": "x"}, headers=headers)
    assert wrong_type.status_code == 422 and "status" in wrong_type.json["error"]["fields"]

    done = client.patch(
        url, json={"status": "attended_venue", "reason": "紙の名簿"}, headers=headers
    )
    assert done.status_code == 200
    body = done.json
    assert body["status"] == "attended_venue" and body["computed_status"] == "absent"
    assert body["override"]["status"] == "attended_venue"
    assert body["override"]["reason"] == "紙の名簿" and body["override"]["by"] == "景山 健"
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "attendance.override")
        ).one()
        assert event.actor_id == world["organizer"] and event.details["after"] == "attended_venue"

    cleared = client.patch(url, json={"status": None, "reason": "誤り"}, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json["status"] == "absent" and cleared.json["override"] is None


def test_the_browser_corrects_with_its_cookie_and_the_csrf_token(app, world, finished):
    _series_id, session_id, people = finished
    browser = app.test_client()
    login(browser, "organizer@example.jp")
    url = f"/api/v1/attendance/{_record_id(app, session_id, people['absent'])}"
    body = {"status": "excused", "reason": "事前に連絡あり"}
    assert browser.patch(url, json=body).status_code == 400  # no CSRF token
    token = csrf_token(browser, "/account")
    assert browser.patch(url, json=body, headers={"X-CSRFToken": token}).status_code == 200


def test_who_may_read_and_correct(app, world, client, finished):
    series_id, session_id, people = finished
    with app.app_context():
        # a participant of the series (they hold a place) and staff of another organisation
        participant = db.session.get(User, world["participant"])
        registration.register(
            db.session.get(Series, series_id), participant, mode="online", consent=True
        )
        outsider = create_user("outsider@example.jp").id
    record = f"/api/v1/attendance/{_record_id(app, session_id, people['absent'])}"
    reads = [f"/api/v1/sessions/{session_id}/attendance", f"/api/v1/series/{series_id}/attendance"]
    fix = {"status": "attended_venue", "reason": "x"}
    expected = {
        "staff": (403, 403),  # staff check people in; attendance records are not theirs
        "organizer": (200, 200),
        "participant": (403, 403),
        "other": (404, 404),
        "owner": (200, 200),
    }
    for role, (read, write) in expected.items():
        headers = _headers(app, world[role])
        for url in reads:
            assert client.get(url, headers=headers).status_code == read, (role, url)
        assert client.patch(record, json=fix, headers=headers).status_code == write, role
    stranger = _headers(app, outsider)
    assert client.get(reads[0], headers=stranger).status_code == 404
    assert client.get(reads[0]).status_code == 401
    assert client.get("/api/v1/sessions/999999/attendance", headers=stranger).status_code == 404
    assert client.patch("/api/v1/attendance/999999", json=fix, headers=stranger).status_code == 404


def test_the_openapi_document_describes_the_attendance_api(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert "get" in paths["/api/v1/sessions/{session_id}/attendance"]
    assert "get" in paths["/api/v1/series/{series_id}/attendance"]
    patch = paths["/api/v1/attendance/{attendance_id}"]["patch"]
    assert "422" in patch["responses"] and "403" in patch["responses"]
    parameters = {
        p["name"] for p in paths["/api/v1/sessions/{session_id}/attendance"]["get"]["parameters"]
    }
    assert {"page", "per_page", "ids", "counts_only"} <= parameters
    schemas = spec["components"]["schemas"]
    assert {"SessionAttendanceOut", "SeriesAttendanceOut", "RecordOut", "CorrectionRequest"} <= set(
        schemas
    )
