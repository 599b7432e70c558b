"""A person downloads everything Kakawari holds about them (profile, consent, registrations with
answers, tickets, check-ins, room time, attendance, certificates, what they wrote, mails) as one
JSON file, from the account page, and nothing about anyone else."""

import json

from sqlalchemy import event

from app.accounts.models import User
from app.attendance import certificates
from app.events.models import Question, QuestionKind, Series
from app.extensions import db
from app.live.models import ChatMessage
from app.mail import send_mail
from app.registration import services as registration
from tests.attendance.test_history import completed_online_series, two_orgs  # noqa: F401
from tests.conftest import login


def _download(client) -> dict:
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    return json.loads(response.get_data(as_text=True))


def test_the_account_page_links_the_download_of_everything_held_about_me(app, client, world):
    login(client, "participant@example.jp")
    html = client.get("/account").get_data(as_text=True)
    assert 'href="/me/data.json"' in html


def test_the_download_holds_every_kind_of_record_about_the_person(app, client, world, two_orgs):  # noqa: F811
    with app.app_context():
        person = db.session.get(User, world["participant"])
        series_a = db.session.get(Series, two_orgs["a"])
        question = Question(series_id=series_a.id, kind=QuestionKind.text, label="食物アレルギー")
        db.session.add(question)
        db.session.flush()
        mine = registration.active_registration(series_a.id, person.id)
        mine.answers = {str(question.id): "そばアレルギー（重度）"}
        db.session.add(
            ChatMessage(session_id=two_orgs["a_sessions"][1], user_id=person.id, text="こんにちは")
        )
        send_mail(person.email, "申込を受け付けました", "本文です")
        done = completed_online_series(world["org"], person, title="春の講座", sessions=1)
        certificate, _ = certificates.issue(person, db.session.get(Series, done.id))
        code = certificate.code
        db.session.commit()

    login(client, "participant@example.jp")
    data = _download(client)

    assert data["format"] == "kakawari-personal-data"
    profile = data["profile"]
    assert (profile["email"], profile["name"], profile["prefecture"]) == (
        "participant@example.jp",
        "山田 花子",
        "13",
    )
    assert profile["consent"]["version"] == "2026-04" and profile["consent"]["at"]
    titles = {r["series"]["title"] for r in data["registrations"]}
    assert {"しまね関係人口ゼミ 2026", "ふるさとみつけ塾", "春の講座"} <= titles
    answers = [a for r in data["registrations"] for a in r["answers"]]
    assert {"question": "食物アレルギー", "answer": "そばアレルギー（重度）"} in answers
    a = next(r for r in data["registrations"] if r["series"]["id"] == two_orgs["a"])
    assert [p["mode"] for p in a["places"]] == ["venue", "online", "venue"]
    assert data["tickets"] and all("secret" not in t for t in data["tickets"])
    assert [c["session_id"] for c in data["checkins"]] == [two_orgs["a_sessions"][0]]
    visited = {v["session_id"] for v in data["live_room_visits"]}
    assert {two_orgs["a_sessions"][1], two_orgs["b_sessions"][0]} <= visited
    statuses = {r["session_id"]: r["status"] for r in data["attendance"]}
    assert statuses[two_orgs["a_sessions"][0]] == "attended_venue"
    assert [c["code"] for c in data["certificates"]] == [code]
    assert [m["text"] for m in data["chat_messages"]] == ["こんにちは"]
    assert "申込を受け付けました" in [m["subject"] for m in data["mails"]]
    assert any(e["event"] == "auth.login" for e in data["security_log"])


def test_the_download_holds_nothing_about_anyone_else(app, client, world, two_orgs):  # noqa: F811
    login(client, "participant@example.jp")
    text = json.dumps(_download(client), ensure_ascii=False)
    for email in ("owner@example.jp", "staff@example.jp", "other@example.jp"):
        assert email not in text
    for name in ("石倉 陽子", "福間 さくら", "別 団体"):  # owner, staff who may have scanned
        assert name not in text
    assert "password" not in text


def test_the_download_takes_a_fixed_number_of_queries(app, client, world, two_orgs):  # noqa: F811
    login(client, "participant@example.jp")
    counts = []
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(2):
            statements.clear()
            _download(client)
            counts.append(len(statements))
        with app.app_context():
            person = db.session.get(User, world["participant"])
            completed_online_series(world["org"], person, title="もう一つ", sessions=3)
        statements.clear()
        _download(client)
        counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[2] == counts[1] <= 25, counts


def test_someone_logged_out_is_sent_to_log_in(client):
    response = client.get("/me/data.json")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
