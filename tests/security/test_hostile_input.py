"""Hostile input from the security review (issue 13, rows 3, 5, 6, 7 and 8), each at the
request level: where `next` may send someone, text that cannot be stored (lone surrogates,
control characters), dates out of range, deep nesting and huge bodies. Each is refused with a
4xx and a stable code (or the page's field message), never a 500, and nothing is written."""

import json

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.events import services as events
from app.events.models import Series, Session
from app.extensions import db
from app.live.models import ChatMessage
from app.orgs.models import Organization
from app.registration.models import Registration
from tests.api.test_api_events import SESSION, bearer
from tests.attendance.helpers import past  # noqa: F401 -- a finished session with records
from tests.conftest import PASSWORD, csrf_token, login, post_form
from tests.live.test_socket import connect, joined, live_url, room  # noqa: F401 -- fixtures
from tests.registration.factories import make_series

POISON = "\ud800 poison"
SERIES = {"title": "しまね関係人口ゼミ 2027"}
REFUSED = "制御文字や壊れた文字を取り除いてください。"


def refused_field(response, field, status=422, code="validation_error"):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.json["error"]
    assert error["code"] == code
    if field is not None:
        assert field in error["fields"], error
    return error


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- row 3: one safe-redirect rule ----------------------------------------------------------

HOSTILE_NEXT = [
    "/%09/evil.example",  # a tab browsers drop: //evil.example
    "/%0a/evil.example",  # a newline: was a 500 (it cannot go in a Location header)
    "/%0d/evil.example",
    "/%00/x",
    "/%20/evil.example",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/%E2%80%8B/evil.example",  # a zero-width space
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_sends_someone_logged_in_to_another_site(client, world, target):
    login(client, world["emails"]["participant"])
    response = client.get(f"/login?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_sends_someone_elsewhere_after_logging_in(client, world, target):
    response = post_form(
        client,
        f"/login?next={target}",
        {"email": world["emails"]["participant"], "password": PASSWORD},
        token_from="/login",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_never_sends_someone_elsewhere_after_signing_up_or_choosing_a_language(client):
    data = {
        "email": "new@example.jp",
        "password": "long-enough-pass",
        "password_confirm": "long-enough-pass",
        "name": "鈴木 太郎",
        "furigana": "すずき たろう",
        "prefecture": "13",
        "relations": "interest",
        "consent": "y",
    }
    response = post_form(client, "/signup?next=/%09/evil.example", data, token_from="/signup")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    for target in ("/\t/evil.example", "/\n/x", "//evil.example"):
        response = post_form(client, "/locale", {"locale": "en", "next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_still_brings_people_back_to_the_page_they_wanted(client, world):
    response = post_form(
        client,
        "/login?next=/account?tab=tokens%26x=%E5%B1%B1",
        {"email": world["emails"]["participant"], "password": PASSWORD},
        token_from="/login",
    )
    assert response.headers["Location"] == "/account?tab=tokens&x=%E5%B1%B1"


# --- rows 5 and 6: text that cannot be stored -------------------------------------------------


@pytest.fixture
def with_text_question(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("online", None, None)])
        events.set_questions(series, [{"kind": "text", "label": "ひとこと"}])
        db.session.commit()
        question = events.get_series(series.id).questions[0]
        return series.id, question.id


@pytest.mark.parametrize("text", [POISON, "a\x00b", "bell\x07", "esc\x1b[31m", "c1\x85"])
def test_a_participant_cannot_store_an_answer_that_breaks_the_organisers_exports(
    app, client, world, with_text_question, text
):
    series_id, question_id = with_text_question
    headers = bearer(app, world["participant"])
    response = client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, "answers": {str(question_id): text}},
        headers=headers,
    )
    error = refused_field(response, "answers")
    assert error["fields"]["answers"] == [REFUSED]
    with app.app_context():
        assert count(Registration) == 0
    organiser = app.test_client()
    login(organiser, world["emails"]["organizer"])
    export = post_form(organiser, f"/orgs/{world['org']}/series/{series_id}/participants.csv")
    assert export.status_code == 200


def test_line_breaks_and_tabs_in_an_answer_are_kept(app, client, world, with_text_question):
    series_id, question_id = with_text_question
    response = client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, "answers": {str(question_id): "一行目\r\n二行目\tです"}},
        headers=bearer(app, world["participant"]),
    )
    assert response.status_code == 201, response.json


def test_a_lone_surrogate_is_refused_by_every_api_operation_the_review_named(
    app,
    client,
    world,
    past,  # noqa: F811
):
    series_id, session_id, _people = past
    organiser = bearer(app, world["organizer"])
    with app.app_context():
        from app.attendance import services as attendance
        from app.attendance.models import Attendance

        attendance.compute_session(db.session.get(Session, session_id))
        db.session.commit()  # services flush; the caller commits
        record = db.session.scalar(select(Attendance.id).where(Attendance.session_id == session_id))
        before = {m: count(m) for m in (User, Organization, Series, Session)}
    calls = [
        ("POST", "/api/v1/auth/token", {"email": POISON, "password": POISON}, None, "email"),
        ("POST", "/api/v1/users", {**SIGNUP, "name": POISON}, None, "name"),
        ("POST", "/api/v1/orgs", {"name": POISON}, organiser, "name"),
        ("POST", f"/api/v1/orgs/{world['org']}/series", {**SERIES, "title": POISON}, organiser),
        ("POST", f"/api/v1/series/{series_id}/sessions", {**SESSION, "notes": POISON}, organiser),
        ("PATCH", f"/api/v1/attendance/{record}", {"status": None, "reason": POISON}, organiser),
    ]
    for method, url, body, headers, *field in calls:
        response = client.open(url, method=method, json=body, headers=headers or {})
        expected = field[0] if field else next(k for k, v in body.items() if v == POISON)
        refused_field(response, expected)
    with app.app_context():
        assert {m: count(m) for m in (User, Organization, Series, Session)} == before


SIGNUP = {
    "email": "taro@example.jp",
    "password": "long-enough-pass",
    "name": "鈴木 太郎",
    "furigana": "すずき たろう",
    "prefecture": "東京都",
    "relations": ["interest"],
    "consent": True,
}


def test_a_lone_surrogate_in_a_key_or_deep_inside_is_refused(client):
    response = client.post("/api/v1/users", json={**SIGNUP, POISON: 1})
    refused_field(response, "_json")
    response = client.post("/api/v1/users", json={**SIGNUP, "relations": [[{"x": POISON}]]})
    refused_field(response, "relations")


def test_control_characters_in_a_query_are_refused(client):
    response = client.get("/api/v1/series", query_string={"prefecture": "島根\x00"})
    refused_field(response, "prefecture")


def test_a_form_with_control_characters_says_so_beside_the_field_and_stores_nothing(app, client):
    data = {
        "email": "new@example.jp",
        "password": "long-enough-pass",
        "password_confirm": "long-enough-pass",
        "name": "鈴木\x0b太郎",
        "furigana": "すずき たろう",
        "prefecture": "13",
        "relations": "interest",
        "consent": "y",
    }
    response = post_form(client, "/signup", data, token_from="/signup")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert REFUSED in page
    assert "鈴木" in page  # the rest of what was typed is still there
    with app.app_context():
        assert count(User) == 0


def test_a_form_keeps_line_breaks_of_a_multi_line_field(app, client, world):
    login(client, world["emails"]["organizer"])
    with app.app_context():
        series_id = make_series(world["org"], sessions=()).id
    page = f"/orgs/{world['org']}/series/{series_id}/edit"
    token = csrf_token(client, page)
    with app.app_context():
        series = db.session.get(Series, series_id)
        form = {
            "csrf_token": token,
            "title": series.title,
            "description": "一行目\r\n\t二行目",
            "selection": series.selection.value,
            "scope": series.scope.value,
        }
    response = client.post(page, data=form)
    assert response.status_code in (200, 302)
    assert response.status_code != 422


def test_chat_with_a_lone_surrogate_is_a_validation_error_not_a_server_error(
    app,
    connect,  # noqa: F811
    room,  # noqa: F811
):
    alice = joined(connect, room, "alice")
    for payload in ({"text": POISON}, {"text": "bell\x07"}, {"text": "ok", "extra": [POISON]}):
        ack = alice.call("chat", payload, timeout=10)
        assert ack["error"]["code"] == "validation_error", ack
    ack = alice.call("ask", {"text": POISON}, timeout=10)
    assert ack["error"]["code"] == "validation_error", ack
    deep = {"text": "hi", "x": json.loads("[" * 40 + "]" * 40)}
    assert alice.call("chat", deep, timeout=10)["error"]["code"] == "invalid_json"
    with app.app_context():
        assert count(ChatMessage) == 0
    assert alice.call("chat", {"text": "こんにちは\n改行も"}, timeout=10)["ok"]


# --- row 7: dates out of range -------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+09:00"],
)
def test_a_date_out_of_range_is_a_clear_422(app, client, world, when):
    organiser = bearer(app, world["organizer"])
    response = client.post(
        f"/api/v1/orgs/{world['org']}/series",
        json={**SERIES, "registration_opens_at": when},
        headers=organiser,
    )
    error = refused_field(response, "registration_opens_at")
    assert "2000" in error["fields"]["registration_opens_at"][0]
    with app.app_context():
        series_id = make_series(world["org"], sessions=()).id
    response = client.post(
        f"/api/v1/series/{series_id}/sessions",
        json={**SESSION, "starts_at": when},
        headers=organiser,
    )
    refused_field(response, "starts_at")
    with app.app_context():
        assert count(Session) == 0 and count(Series) == 1


def test_a_date_out_of_range_on_the_page_is_a_message_beside_the_field(app, client, world):
    login(client, world["emails"]["organizer"])
    with app.app_context():
        series_id = make_series(world["org"], sessions=()).id
    page = f"/orgs/{world['org']}/series/{series_id}/sessions/new"
    form = {
        "title": "第1回",
        "starts_at": "0001-01-01T00:00",
        "ends_at": "0001-01-01T02:00",
        "format": "online",
        "online_capacity": "10",
    }
    response = post_form(client, page, form, token_from=page)
    assert response.status_code < 500
    assert "2000" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Session) == 0


# --- row 8: nesting and size ----------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_for_anyone(client):
    for body in ("[" * 50_000, "[" * 33 + "]" * 33, '{"a":' * 40 + "1" + "}" * 40):
        response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
        refused_field(response, None, status=400, code="invalid_json")


@pytest.mark.parametrize("body", ["{", "not json", '{"a": NaN}', '{"a": 1e999}', b'{"a": "\xff"}'])
def test_malformed_json_is_a_400_with_a_stable_code(client, body):
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    refused_field(response, None, status=400, code="invalid_json")


def test_a_body_over_the_limit_is_413_before_it_is_read(app, client, world):
    big = json.dumps({"email": "x" * (12 * 1024 * 1024), "password": "x"})
    response = client.post("/api/v1/auth/token", data=big, content_type="application/json")
    refused_field(response, None, status=413, code="payload_too_large")
    page = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert page.status_code == 413 and "text/html" in page.content_type


def test_the_size_limit_is_configurable_and_leaves_room_for_real_requests(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    from config import Config

    assert Config.MAX_CONTENT_LENGTH >= 1024 * 1024
