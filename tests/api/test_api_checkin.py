"""The check-in API: scans and their verdicts, offline sync, manual check-in, the offline list,
counters, search, undo and the ticket's QR image; who may call each; bad input never 500s."""

import io
from datetime import timedelta
from types import SimpleNamespace

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.audit.models import AuditEvent
from app.checkin import services as checkin
from app.checkin.models import CheckIn, Ticket
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.api.test_api_accounts import bearer
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user, csrf_token, login
from tests.registration.factories import make_series

SCANNED = "2026-08-24T13:05:00+09:00"


def registered(series, email, mode="venue", *, name="山田 花子", furigana="やまだ はなこ", **kw):
    user = create_user(email, name=name, furigana=furigana)
    r = reg.register(series, user, mode=mode, consent=True, **kw)
    return db.session.get(Registration, r.id)


def token(email) -> dict:
    """A Bearer header, without the password round trip (scrypt is slow on purpose)."""
    user = db.session.scalar(select(User).where(User.email == email))
    _token, secret = create_api_token(user, "test")
    db.session.commit()
    return bearer(secret)


def secret_of(registration) -> str:
    return checkin.valid_ticket(registration).secret


def checkin_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CheckIn))


@pytest.fixture
def venue(world, ctx, client):
    """A hybrid session happening now (venue 5, online 5), a venue and an online registrant,
    and tokens for staff, organiser, another organisation's owner and a plain participant."""
    series = series_happening_now(world["org"], sessions=[("hybrid", 5, 5), ("venue", 5, None)])
    hanako = registered(series, "hanako@example.jp")
    taro = registered(
        series, "taro@example.jp", "online", name="鈴木 太郎", furigana="すずき たろう"
    )
    session = series.sessions[0]
    return SimpleNamespace(
        series=series,
        session=session,
        later=series.sessions[1],
        base=f"/api/v1/sessions/{session.id}/checkins",
        hanako=hanako,
        taro=taro,
        staff=token("staff@example.jp"),
        organizer=token("organizer@example.jp"),
        other=token("other@example.jp"),
        hanako_token=token("hanako@example.jp"),
        stranger=token("participant@example.jp"),
    )


def scan(client, v, secret, headers=None, **body):
    response = client.post(v.base, json={"secret": secret, **body}, headers=headers or v.staff)
    assert response.status_code == 200, response.json
    return response.json


# --- scanning ----------------------------------------------------------------------------------


def test_green_then_yellow_with_when_and_by_whom(client, venue):
    secret = secret_of(venue.hanako)
    ok = scan(client, venue, secret, nonce="phone-1-0001", device_id="phone-1")
    assert ok["status"] == "ok" and ok["reason"] is None and ok["duplicate"] is False
    assert ok["registration"] == {
        "id": venue.hanako.id,
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
        "mode": "venue",
    }
    assert ok["checked_in_by"] == "福間 さくら" and ok["checkin_id"] and ok["message"]

    yellow = scan(client, venue, secret, headers=venue.organizer, nonce="phone-2-0001")
    assert yellow["status"] == "already_checked_in"
    assert yellow["checked_in_at"] == ok["checked_in_at"]
    assert yellow["checked_in_by"] == "福間 さくら"  # who let them in, not who scanned again
    assert yellow["checkin_id"] == ok["checkin_id"]

    retried = scan(client, venue, secret, nonce="phone-1-0001")  # a retry of the first request
    assert retried["status"] == "ok" and retried["checkin_id"] == ok["checkin_id"]
    assert checkin_count() == 1
    row = db.session.get(CheckIn, ok["checkin_id"])
    assert (row.source, row.device_id, row.staff.name) == ("scan", "phone-1", "福間 さくら")


def test_scanned_at_is_kept_and_a_nonce_is_optional(client, venue):
    at = utcnow() - timedelta(minutes=2)
    ok = scan(client, venue, secret_of(venue.hanako), scanned_at=at.isoformat())
    row = db.session.get(CheckIn, ok["checkin_id"])
    assert abs((row.checked_in_at - at).total_seconds()) < 1
    assert len(row.nonce) == 32  # one made up by the server


def test_online_registrant_at_the_door_is_let_in_with_a_warning(client, venue):
    ok = scan(client, venue, secret_of(venue.taro))
    assert ok["status"] == "ok" and ok["warning"] == "registered_online"
    assert ok["registration"]["mode"] == "venue"
    status = client.get(venue.base + "/status", headers=venue.staff).json
    assert status["came_instead_of_online"] == 1
    assert status["recent"][0]["mode_changed"] is True


def test_answers_marked_for_check_in_come_with_the_verdict(client, venue):
    events.set_questions(
        venue.series,
        [
            {"kind": "text", "label": "アレルギー", "show_at_checkin": True},
            {"kind": "text", "label": "ひとこと"},
        ],
    )
    db.session.commit()
    q1, q2 = (str(q.id) for q in venue.series.questions)
    r = registered(venue.series, "a@example.jp", answers={q1: "そば", q2: "よろしく"})
    assert scan(client, venue, secret_of(r))["answers"] == [
        {"label": "アレルギー", "value": "そば"}
    ]


def test_every_rejection_reason_through_the_api(client, venue, world):
    v, staff = venue, venue.staff

    def reason(secret, session=None, **body):
        base = f"/api/v1/sessions/{(session or v.session).id}/checkins"
        response = client.post(base, json={"secret": secret, **body}, headers=staff)
        assert response.status_code == 200, response.json
        assert response.json["status"] == "rejected" and response.json["message"]
        return response.json["reason"]

    def manual(registration):
        response = client.post(
            v.base + "/manual", json={"registration_id": registration.id}, headers=staff
        )
        assert response.status_code == 200 and response.json["status"] == "rejected"
        return response.json["reason"]

    assert reason("not a ticket!") == "unreadable"
    assert reason("A" * 27) == "unknown_ticket"
    staff = v.organizer  # staff open next week's session only the day before
    assert reason(secret_of(v.hanako), session=v.later) == "too_early"
    staff = v.staff

    elsewhere = make_series(world["other_org"], sessions=[("venue", 5, None)])
    assert reason(secret_of(registered(elsewhere, "c@example.jp"))) == "other_org"

    old = secret_of(v.hanako)
    checkin.reissue_ticket(v.hanako)
    db.session.commit()  # services flush; the caller commits
    assert reason(old) == "revoked"

    full = series_happening_now(world["org"], sessions=[("venue", 1, None)])
    registered(full, "d@example.jp")
    waiting = registered(full, "e@example.jp")
    response = client.post(
        f"/api/v1/sessions/{full.sessions[0].id}/checkins/manual",
        json={"registration_id": waiting.id},
        headers=staff,
    )
    assert response.json["reason"] == "waitlisted"

    lottery = series_happening_now(world["org"], selection="lottery")
    entry = registered(lottery, "f@example.jp")
    response = client.post(
        f"/api/v1/sessions/{lottery.sessions[0].id}/checkins/manual",
        json={"registration_id": entry.id},
        headers=staff,
    )
    assert response.json["reason"] == "not_confirmed"

    picky = make_series(
        world["org"], scope="session", sessions=[("venue", 5, None), ("venue", 5, None)]
    )
    later_only = registered(picky, "g@example.jp", session_ids=[picky.sessions[1].id])
    picky.sessions[0].starts_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert reason(secret_of(later_only), session=picky.sessions[0]) == "not_registered"

    cancelled_secret = secret_of(v.taro)
    reg.cancel(db.session.get(Registration, v.taro.id))
    assert reason(cancelled_secret) == "cancelled"

    over = v.later
    over.starts_at, over.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    db.session.commit()
    assert reason(secret_of(db.session.get(Registration, v.hanako.id)), session=over) == "closed"

    events.cancel_session(v.session, None)
    db.session.commit()
    assert reason(secret_of(db.session.get(Registration, v.hanako.id))) == "session_cancelled"
    assert manual(db.session.get(Registration, v.hanako.id)) == "session_cancelled"
    assert checkin_count() == 0


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        " ",
        "\x00",
        "a\x00" * 20,
        "x" * 5000,
        "🙂" * 50,
        "'; DROP TABLE ticket; --",
        "https://example.jp/t/abc",
        12345,
        True,
        [],
        ["abc"],
        {"secret": "abc"},
    ],
    ids=range(14),
)
def test_anything_that_is_not_a_ticket_is_a_red_answer(client, venue, secret):
    answer = scan(client, venue, secret)
    assert (answer["status"], answer["reason"]) == ("rejected", "unreadable")
    assert answer["registration"] is None and answer["checkin_id"] is None


# --- malformed requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "secret"),
        ({"secret": "x", "nonce": "a\x00b"}, "nonce"),
        ({"secret": "x", "nonce": ""}, "nonce"),
        ({"secret": "x", "nonce": "n" * 65}, "nonce"),
        ({"secret": "x", "nonce": 5}, "nonce"),
        ({"secret": "x", "scanned_at": "2026-08-24T13:05:00"}, "scanned_at"),  # no offset
        ({"secret": "x", "scanned_at": "yesterday"}, "scanned_at"),
        ({"secret": "x", "scanned_at": 1723000000}, "scanned_at"),
        ({"secret": "x", "device_id": ["phone"]}, "device_id"),
        ({"secret": "x", "extra": 1}, "extra"),
    ],
    ids=range(10),
)
def test_a_malformed_field_beside_the_secret_is_a_422(client, venue, body, field):
    response = client.post(venue.base, json=body, headers=venue.staff)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]


def test_control_characters_in_a_device_id_are_dropped(client, venue):
    ok = scan(client, venue, secret_of(venue.hanako), device_id="ph\x00one\n" + "x" * 100)
    assert db.session.get(CheckIn, ok["checkin_id"]).device_id == "phone" + "x" * 59


BAD_BODIES = [
    {},
    [],
    "text",
    123,
    None,
    {"secret": None, "scans": None, "registration_id": None, "nonce": None},
    {"secret": "\x00", "scans": ["\x00"], "registration_id": "\x00", "nonce": "\x00"},
    {"secret": 1, "scans": {"a": 1}, "registration_id": [1], "nonce": {"b": 2}},
    {"registration_id": 10**20, "scans": [{"registration_id": 10**20}]},
    {"registration_id": -1, "scans": [[], None, 1, "x", {"nonce": "\x00"}]},
    {"secret": "x" * 100000, "scans": [{"secret": "x" * 100000, "nonce": "n" * 1000}]},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_no_endpoint_answers_500_to_bad_json(client, venue, body):
    paths = [
        ("POST", venue.base),
        ("POST", venue.base + "/sync"),
        ("POST", venue.base + "/manual"),
        ("GET", venue.base + "/list"),
        ("GET", venue.base + "/status"),
        ("GET", venue.base + "/search"),
        ("DELETE", "/api/v1/checkins/1"),
        ("GET", f"/api/v1/registrations/{venue.hanako.id}/ticket.png"),
    ]
    for method, path in paths:
        for headers in ({}, venue.staff, venue.other):
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code < 500, (method, path, body)
            if response.status_code >= 400:
                assert response.json["error"]["code"]


def test_broken_json_huge_ids_and_odd_queries_never_500(client, venue):
    for data in ("{", '{"secret": "x"', "\x00", "null", '{"secret": "\\u0000"}'):
        response = client.post(
            venue.base, data=data, content_type="application/json", headers=venue.staff
        )
        assert response.status_code in (200, 400, 422), data
        assert response.is_json
    response = client.post(venue.base, data="secret=x", headers=venue.staff)  # a form post
    assert response.status_code in (400, 415, 422) and response.json["error"]["code"]
    for path in (
        "/api/v1/sessions/99999999999999999999/checkins/status",
        "/api/v1/checkins/99999999999999999999",
        "/api/v1/registrations/99999999999999999999/ticket.png",
    ):
        method = "DELETE" if path.startswith("/api/v1/checkins/") else "GET"
        assert client.open(path, method=method, headers=venue.staff).status_code == 404
    for q in ("\x00", "a\x00b", "\x00\x00", "'", "🙂🙂", "ｶﾀｶﾅ", "%", "_", "%_%"):
        response = client.get(venue.base + "/search", query_string={"q": q}, headers=venue.staff)
        assert response.status_code == 200, q
        if "\x00" in q:
            assert response.json == []
    response = client.get(venue.base + "/search?q=" + "x" * 5000, headers=venue.staff)
    assert response.status_code == 422


# --- offline sync ------------------------------------------------------------------------------


def queued(secret, nonce, *, verdict="ok", minutes_ago=3, device="phone-a", **extra):
    at = (utcnow() - timedelta(minutes=minutes_ago)).isoformat()
    item = {"nonce": nonce, "scanned_at": at, "device_id": device, "offline_verdict": verdict}
    if secret is not None:
        item["secret"] = secret
    return {**item, **extra}


def test_sync_records_each_scan_once_and_flags_a_double_admission(client, venue, world):
    hanako, taro = secret_of(venue.hanako), secret_of(venue.taro)
    elsewhere = make_series(world["other_org"], sessions=[("venue", 5, None)])
    foreign = registered(elsewhere, "z@example.jp")
    batch = [
        queued(hanako, "a-1", minutes_ago=10),
        queued(hanako, "b-1", minutes_ago=9, device="phone-b"),  # the other phone, offline too
        queued(hanako, "a-2", verdict="already_checked_in", minutes_ago=8),  # phone a knew
        queued("garbage", "a-3"),
        {"secret": taro, "scanned_at": SCANNED},  # no nonce
        queued(taro, "a-4", scanned_at="2026-08-24T13:05:00"),  # no offset
        "not an object",
        None,
        queued(None, "a-5"),  # neither secret nor registration
        queued(taro, "a-6", registration_id=venue.taro.id),  # both
        queued(None, "a-7", registration_id=foreign.id),  # another organisation's person
        queued(None, "a-8", registration_id=venue.taro.id, minutes_ago=1),  # tapped in by hand
        queued(hanako, "a-1", minutes_ago=10),  # the same scan twice in one batch
    ]
    first = client.post(venue.base + "/sync", json={"scans": batch}, headers=venue.staff)
    assert first.status_code == 200, first.json
    results = first.json["results"]
    summary = [(r["nonce"], r["status"], r.get("reason"), r.get("duplicate")) for r in results]
    assert summary == [
        ("a-1", "ok", None, False),
        ("b-1", "already_checked_in", None, True),
        ("a-2", "already_checked_in", None, False),
        ("a-3", "rejected", "unreadable", False),
        (None, "error", None, None),
        ("a-4", "error", None, None),
        (None, "error", None, None),
        (None, "error", None, None),
        ("a-5", "error", None, None),
        ("a-6", "error", None, None),
        ("a-7", "error", None, None),
        ("a-8", "ok", None, False),
        ("a-1", "ok", None, False),
    ]
    errors = [r["error"] for r in results if r["status"] == "error"]
    assert [e["code"] for e in errors] == ["validation_error"] * 6 + ["not_found"]
    assert "nonce" in errors[0]["fields"] and "scanned_at" in errors[1]["fields"]
    assert results[1]["checked_in_at"] == results[0]["checked_in_at"]

    rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
    assert [(c.nonce, c.source, c.duplicate_of_id) for c in rows] == [
        ("a-1", "offline", None),
        ("b-1", "offline", rows[0].id),
        ("a-8", "offline", None),
    ]
    scanned = utcnow() - timedelta(minutes=10)
    assert abs((rows[0].checked_in_at - scanned).total_seconds()) < 5  # the scan's own time
    assert rows[1].device_id == "phone-b"

    again = client.post(venue.base + "/sync", json={"scans": batch}, headers=venue.staff)
    assert [(r["nonce"], r["status"], r.get("duplicate")) for r in again.json["results"]] == [
        (n, s, d) for n, s, _r, d in summary
    ]
    assert checkin_count() == 3
    counts = client.get(venue.base + "/status", headers=venue.staff).json
    assert (counts["checked_in"], counts["duplicates"]) == (2, 1)


def test_an_unexpected_failure_of_one_scan_spares_the_rest_of_the_batch(client, venue, monkeypatch):
    real_decide = checkin.decide

    def decide(session, staff, **kw):
        if kw.get("nonce") == "boom":
            raise RuntimeError("the database went away for a moment")
        return real_decide(session, staff, **kw)

    monkeypatch.setattr(checkin, "decide", decide)
    batch = [queued(secret_of(venue.taro), "boom"), queued(secret_of(venue.hanako), "fine")]
    response = client.post(venue.base + "/sync", json={"scans": batch}, headers=venue.staff)
    first, second = response.json["results"]
    assert (first["status"], first["error"]["code"]) == ("error", "internal_error")
    assert (second["nonce"], second["status"]) == ("fine", "ok")
    assert checkin_count() == 1


def test_a_scan_queued_while_the_session_ran_counts_after_it_ended(client, venue):
    session = venue.session
    start = utcnow() - timedelta(hours=3)
    session.starts_at, session.ends_at = start, start + timedelta(hours=2)
    db.session.commit()
    item = queued(secret_of(venue.hanako), "late-1", minutes_ago=150)
    result = client.post(venue.base + "/sync", json={"scans": [item]}, headers=venue.staff)
    assert result.json["results"][0]["status"] == "ok"
    online = scan(client, venue, secret_of(venue.taro))
    assert online["reason"] == "closed"  # a live scan now is too late


def test_sync_batch_limits(client, venue):
    too_many = [queued("x" * 27, f"n-{i}") for i in range(501)]
    response = client.post(venue.base + "/sync", json={"scans": too_many}, headers=venue.staff)
    assert response.status_code == 422 and "scans" in response.json["error"]["fields"]
    full = [queued("garbage", f"n-{i}") for i in range(500)]
    response = client.post(venue.base + "/sync", json={"scans": full}, headers=venue.staff)
    assert response.status_code == 200 and len(response.json["results"]) == 500
    for body in ({}, {"scans": "all"}, {"scans": {"0": {}}}, {"scans": None}):
        response = client.post(venue.base + "/sync", json=body, headers=venue.staff)
        assert response.status_code == 422, body
    empty = client.post(venue.base + "/sync", json={"scans": []}, headers=venue.staff)
    assert empty.json == {"results": []}


# --- manual check-in, search, list, status, undo ------------------------------------------------


def test_manual_check_in_from_the_search(client, venue, world):
    found = client.get(venue.base + "/search?q=やまだ", headers=venue.staff).json
    assert found == [
        {
            "id": venue.hanako.id,
            "name": "山田 花子",
            "furigana": "やまだ はなこ",
            "mode": "venue",
            "status": "confirmed",
            "checked_in": False,
            "checkin_id": None,
            # the session's one venue: its name (a place booked before venues had one: none)
            "venue": found[0]["venue"],
            "venue_id": found[0]["venue_id"],
        }
    ]
    body = {"registration_id": venue.hanako.id, "nonce": "tap-1"}
    ok = client.post(venue.base + "/manual", json=body, headers=venue.staff).json
    assert ok["status"] == "ok" and ok["registration"]["name"] == "山田 花子"
    assert client.post(venue.base + "/manual", json=body, headers=venue.staff).json == ok
    body["nonce"] = "tap-2"
    again = client.post(venue.base + "/manual", json=body, headers=venue.staff).json
    assert again["status"] == "already_checked_in"
    assert db.session.get(CheckIn, ok["checkin_id"]).source == "manual"
    found = client.get(venue.base + "/search?q=Hanako@Example.jp", headers=venue.staff).json
    assert (found[0]["checked_in"], found[0]["checkin_id"]) == (True, ok["checkin_id"])
    assert "hanako@example.jp" not in str(found)

    other_series = make_series(world["org"], sessions=[("venue", 5, None)])
    not_here = registered(other_series, "h@example.jp")
    elsewhere = make_series(world["other_org"], sessions=[("venue", 5, None)])
    foreign = registered(elsewhere, "i@example.jp")
    for registration_id in (not_here.id, foreign.id, 999999):
        response = client.post(
            venue.base + "/manual", json={"registration_id": registration_id}, headers=venue.staff
        )
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    for bad in ("1", 1.5, None, True, 0, 2**40):
        response = client.post(
            venue.base + "/manual", json={"registration_id": bad}, headers=venue.staff
        )
        assert response.status_code == 422, bad


def test_search_finds_names_from_one_character_and_stays_in_the_session(client, venue, world):
    elsewhere = make_series(world["other_org"], sessions=[("venue", 5, None)])
    registered(elsewhere, "yamada@example.jp")  # also 山田 花子, in another organisation
    create_user("yamada.t@example.jp", name="山田 太郎", furigana="やまだ たろう")  # no place

    def get(q):
        return client.get(venue.base + "/search", query_string={"q": q}, headers=venue.staff)

    assert [p["id"] for p in get("山田").json] == [venue.hanako.id]
    assert [p["id"] for p in get("すずき").json] == [venue.taro.id]
    assert [p["id"] for p in get("や").json] == [venue.hanako.id] and get("").json == []
    assert get("taro@example.jp").json[0]["mode"] == "online"


def test_one_kanji_kana_in_either_script_or_a_whole_email_finds_the_person(client, venue):
    hayashi = registered(
        venue.series, "Hayashi.Ken@example.jp", name="林 健", furigana="はやし けん"
    )
    kobayashi = registered(
        venue.series, "kobayashi@example.jp", name="小林 由美", furigana="こばやし ゆみ"
    )

    def found(q):
        response = client.get(venue.base + "/search", query_string={"q": q}, headers=venue.staff)
        assert response.status_code == 200
        return sorted(p["id"] for p in response.json)

    both = sorted([hayashi.id, kobayashi.id])
    assert found("林") == both  # one kanji
    assert found("ば") == [kobayashi.id]  # one hiragana
    assert found("コバヤシ") == [kobayashi.id]  # katakana finds the hiragana reading
    assert found("ハ") == sorted([venue.hanako.id, hayashi.id])  # one katakana: はなこ, はやし
    assert found("hayashi.ken@example.jp") == [hayashi.id]  # the whole address, case aside
    assert found("hayashi") == [] and found("@example.jp") == []  # no browsing of addresses


def test_a_ticket_of_another_series_names_it_and_another_organisations_names_nothing(
    client, venue, world
):
    sibling = make_series(world["org"], title="海士町ワークショップ", sessions=[("venue", 5, None)])
    other = scan(client, venue, secret_of(registered(sibling, "c@example.jp")))
    assert (other["status"], other["reason"]) == ("rejected", "other_series")
    assert "海士町ワークショップ" in other["message"]

    theirs = make_series(world["other_org"], title="よその町の講座", sessions=[("venue", 5, None)])
    foreign = scan(client, venue, secret_of(registered(theirs, "d@example.jp")))
    assert (foreign["status"], foreign["reason"]) == ("rejected", "other_org")
    assert "よその町" not in str(foreign) and foreign["registration"] is None


def test_offline_list_has_what_staff_need_and_no_secrets_or_emails(client, venue):
    scan(client, venue, secret_of(venue.hanako))
    response = client.get(venue.base + "/list", headers=venue.staff)
    assert response.status_code == 200
    listing = response.json
    session = listing["session"]
    assert session["id"] == venue.session.id and session["series_title"] == venue.series.title
    assert session["status"] == "scheduled" and session["checkin_opens_at"] < session["starts_at"]
    assert session["checkin_closes_at"] == session["ends_at"]
    assert listing["generated_at"]
    entries = {e["registration_id"]: e for e in listing["entries"]}
    assert entries[venue.hanako.id] == {
        "hash": hash_secret(secret_of(venue.hanako)),
        "registration_id": venue.hanako.id,
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
        "mode": "venue",
        "status": "confirmed",
        "checked_in": True,
    }
    assert entries[venue.taro.id]["mode"] == "online"
    assert entries[venue.taro.id]["checked_in"] is False
    text = response.get_data(as_text=True)
    for t in db.session.scalars(select(Ticket)):
        assert t.secret not in text
    assert "@example.jp" not in text


def test_status_counts_and_recent_check_ins(client, venue):
    assert client.get(venue.base + "/status", headers=venue.staff).json == {
        "expected": 1,
        "checked_in": 0,
        "duplicates": 0,
        "came_instead_of_online": 0,
        "from_other_venues": 0,
        "recent": [],
    }
    scan(client, venue, secret_of(venue.hanako))
    client.post(
        venue.base + "/manual", json={"registration_id": venue.taro.id}, headers=venue.organizer
    )
    status = client.get(venue.base + "/status", headers=venue.staff).json
    assert (status["expected"], status["checked_in"], status["came_instead_of_online"]) == (2, 2, 1)
    assert [(r["name"], r["checked_in_by"], r["source"]) for r in status["recent"]] == [
        ("鈴木 太郎", "景山 健", "manual"),
        ("山田 花子", "福間 さくら", "scan"),
    ]
    assert set(status["recent"][0]) == {
        "id",
        "registration_id",
        "name",
        "furigana",
        "checked_in_at",
        "checked_in_by",
        "source",
        "mode_changed",
        "duplicate",
        "venue_override",
    }


def test_undo_then_scan_again(client, venue, world):
    ok = scan(client, venue, secret_of(venue.hanako))
    path = f"/api/v1/checkins/{ok['checkin_id']}"
    assert client.delete(path, headers=venue.other).status_code == 404
    assert client.delete(path, headers=venue.hanako_token).status_code == 403
    assert client.delete(path, headers=venue.stranger).status_code == 404
    assert client.delete(path).status_code == 401
    assert client.delete(path, headers=venue.staff).status_code == 204
    assert client.delete(path, headers=venue.staff).status_code == 204  # already undone
    assert client.get(venue.base + "/status", headers=venue.staff).json["checked_in"] == 0
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "checkin.undone"))
    assert len(logged.all()) == 1
    assert scan(client, venue, secret_of(venue.hanako))["status"] == "ok"
    assert client.delete("/api/v1/checkins/999999", headers=venue.staff).status_code == 404


# --- who may call ------------------------------------------------------------------------------


def test_tenant_isolation_on_every_session_endpoint(client, venue, world):
    secret = secret_of(venue.hanako)
    calls = [
        ("POST", "", {"secret": secret}),
        ("POST", "/sync", {"scans": [queued(secret, "iso-1")]}),
        ("POST", "/manual", {"registration_id": venue.hanako.id}),
        ("GET", "/list", None),
        ("GET", "/status", None),
        ("GET", "/search?q=やまだ", None),
    ]
    expected = [
        ({}, 401),
        (venue.other, 404),  # another organisation: the session does not exist for them
        (venue.stranger, 404),  # a participant of nothing here
        (venue.hanako_token, 403),  # a participant of this series
    ]
    for headers, status in expected:
        for method, suffix, body in calls:
            response = client.open(venue.base + suffix, method=method, json=body, headers=headers)
            assert response.status_code == status, (method, suffix, status)
            assert response.json["error"]["code"]
    assert checkin_count() == 0

    owner = token("owner@example.jp")
    for headers in (venue.staff, venue.organizer, owner):
        for method, suffix, body in calls:
            response = client.open(venue.base + suffix, method=method, json=body, headers=headers)
            assert response.status_code == 200, (method, suffix)

    # and the other way round: our staff cannot scan at another organisation's session
    elsewhere = series_happening_now(world["other_org"])
    foreign = registered(elsewhere, "j@example.jp")
    base = f"/api/v1/sessions/{elsewhere.sessions[0].id}/checkins"
    response = client.post(base, json={"secret": secret_of(foreign)}, headers=venue.staff)
    assert response.status_code == 404
    assert (
        client.get("/api/v1/sessions/999999/checkins/status", headers=venue.staff).status_code
        == 404
    )


def test_the_scanner_page_calls_with_its_cookie_and_csrf_token(client, venue):
    login(client, "staff@example.jp")
    response = client.post(venue.base, json={"secret": secret_of(venue.hanako)})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    assert client.get(venue.base + "/status").status_code == 200
    headers = {"X-CSRFToken": csrf_token(client, "/account")}
    response = client.post(venue.base, json={"secret": secret_of(venue.hanako)}, headers=headers)
    assert response.status_code == 200 and response.json["status"] == "ok"


# --- the ticket's QR image ---------------------------------------------------------------------


def decoded(response) -> str:
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    return zxingcpp.read_barcode(PIL.Image.open(io.BytesIO(response.data))).text


def test_ticket_png_decodes_to_the_ticket_secret(client, venue):
    path = f"/api/v1/registrations/{venue.hanako.id}/ticket.png"
    secret = secret_of(venue.hanako)
    assert decoded(client.get(path, headers=venue.hanako_token)) == secret
    assert decoded(client.get(path, headers=venue.organizer)) == secret
    owner = token("owner@example.jp")
    assert decoded(client.get(path, headers=owner)) == secret
    # staff check people in by name: a ticket that is not theirs is not there, as on the page
    response = client.get(path, headers=venue.staff)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.get(path, headers=venue.other).status_code == 404
    assert client.get(path, headers=venue.stranger).status_code == 404
    taro = token("taro@example.jp")
    assert client.get(path, headers=taro).status_code == 404  # another participant's ticket
    assert client.get(path).status_code == 401

    # a scan of the decoded image admits the person
    assert (
        scan(client, venue, decoded(client.get(path, headers=venue.hanako_token)))["status"] == "ok"
    )

    # re-issued: the image follows the new secret
    new = checkin.reissue_ticket(db.session.get(Registration, venue.hanako.id))
    db.session.commit()
    assert decoded(client.get(path, headers=venue.hanako_token)) == new.secret


def test_ticket_png_is_issued_on_demand_and_refused_without_a_confirmed_place(client, venue, world):
    checkin.revoke_tickets(venue.hanako)  # e.g. a registration from before tickets existed
    db.session.commit()
    path = f"/api/v1/registrations/{venue.hanako.id}/ticket.png"
    secret = decoded(client.get(path, headers=venue.hanako_token))
    assert secret == secret_of(db.session.get(Registration, venue.hanako.id))

    full = series_happening_now(world["org"], sessions=[("venue", 1, None)])
    registered(full, "k@example.jp")
    waiting = registered(full, "l@example.jp")
    waiting_token = token("l@example.jp")
    path = f"/api/v1/registrations/{waiting.id}/ticket.png"
    assert client.get(path, headers=waiting_token).status_code == 404
    assert client.get(path, headers=venue.organizer).status_code == 404

    reg.cancel(db.session.get(Registration, venue.taro.id))
    taro = token("taro@example.jp")
    path = f"/api/v1/registrations/{venue.taro.id}/ticket.png"
    assert client.get(path, headers=taro).status_code == 404
    assert client.get("/api/v1/registrations/999999/ticket.png", headers=taro).status_code == 404


# --- the OpenAPI document ----------------------------------------------------------------------


def test_every_endpoint_is_documented_with_its_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    base = "/api/v1/sessions/{session_id}/checkins"
    for path, method in [
        (base, "post"),
        (base + "/sync", "post"),
        (base + "/manual", "post"),
        (base + "/list", "get"),
        (base + "/status", "get"),
        (base + "/search", "get"),
        ("/api/v1/checkins/{checkin_id}", "delete"),
        ("/api/v1/registrations/{registration_id}/ticket.png", "get"),
    ]:
        operation = paths[path][method]
        assert operation["security"] == [{"bearerAuth": []}], path
        assert {"401", "404"} <= set(operation["responses"]), path
    scan_op = paths[base]["post"]
    assert scan_op["requestBody"]["content"]["application/json"]["schema"]
    verdict = spec["components"]["schemas"]["VerdictOut"]["properties"]
    assert verdict["status"]["enum"] == ["ok", "already_checked_in", "rejected"]
    assert "not_registered" in verdict["reason"]["enum"]
    assert set(spec["components"]["schemas"]["SyncScan"]["properties"]) >= {
        "secret",
        "nonce",
        "scanned_at",
        "device_id",
        "offline_verdict",
    }
    png = paths["/api/v1/registrations/{registration_id}/ticket.png"]["get"]["responses"]["200"]
    assert "image/png" in png["content"]
