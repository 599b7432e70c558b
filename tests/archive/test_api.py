"""The archive's API: the organiser's link and window, what a participant may watch, the
heartbeat's validation and rate limit, viewing minutes, tenancy, and the OpenAPI document."""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.core.types import utcnow
from app.extensions import db
from app.mail.models import OutgoingMail
from tests.archive.conftest import publish


def _bearer(app, user_id):
    with app.app_context():
        _token, secret = create_api_token(db.session.get(User, user_id), "test")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_the_organiser_puts_and_gets_the_archive(app, world, client, finished):
    headers = _bearer(app, world["organizer"])
    url = f"/api/v1/sessions/{finished['session']}/archive"
    assert client.get(url, headers=headers).status_code == 404  # none yet
    body = {"url": "https://vimeo.com/123456789/abcdef1234", "days": 7, "published": True}
    response = client.put(url, json=body, headers=headers)
    assert response.status_code == 200, response.json
    got = client.get(url, headers=headers).json
    assert got["kind"] == "vimeo"
    assert got["embed_url"] == "https://player.vimeo.com/video/123456789?h=abcdef1234"
    assert got["venue_allowed"] is False and got["published"] is True
    assert got["notified_at"] is not None
    assert client.put(url, json=body, headers=headers).status_code == 200  # again: no mail
    with app.app_context():
        archive_mails = select(OutgoingMail.recipient).where(
            OutgoingMail.subject.contains("アーカイブ")
        )
        assert db.session.scalars(archive_mails).all() == ["participant@example.jp"]


def test_a_bad_address_is_a_validation_error(app, world, client, finished):
    headers = _bearer(app, world["organizer"])
    url = f"/api/v1/sessions/{finished['session']}/archive"
    for body in ({"url": "http://youtu.be/AbCdEfGhIjK"}, {"url": "https://evil.example/x"},
                 {"url": "https://youtu.be/AbCdEfGhIjK", "days": 0}, {}):  # fmt: skip
        response = client.put(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "validation_error"


def test_tenancy_and_roles(app, world, client, finished):
    url = f"/api/v1/sessions/{finished['session']}/archive"
    body = {"url": "https://youtu.be/AbCdEfGhIjK", "published": True}
    assert client.put(url, json=body, headers=_bearer(app, world["other"])).status_code == 404
    assert client.put(url, json=body, headers=_bearer(app, world["staff"])).status_code == 403
    participant = _bearer(app, world["participant"])
    assert client.put(url, json=body, headers=participant).status_code == 403
    viewing = f"{url}/viewing"
    assert client.get(viewing, headers=_bearer(app, world["other"])).status_code == 404
    assert client.get(viewing).status_code == 401


def _beat(client, session_id, headers, tab="tab-a-0001", **kwargs):
    return client.post(
        f"/api/v1/sessions/{session_id}/archive/heartbeat",
        json={"tab": tab},
        headers=headers,
        **kwargs,
    )


def test_the_participant_sees_what_they_may_watch_and_beats(app, world, client, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    mine = _bearer(app, world["participant"])
    archives = client.get("/api/v1/me/archives", headers=mine).json["archives"]
    assert [a["session_id"] for a in archives] == [finished["session"]]
    assert archives[0]["embed_url"].startswith("https://www.youtube-nocookie.com/embed/")
    assert _beat(client, finished["session"], mine).json["seconds"] == 0
    venue = _bearer(app, _user_id(app, "venue@example.jp"))
    assert client.get("/api/v1/me/archives", headers=venue).json["archives"] == []
    response = _beat(client, finished["session"], venue)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "archive_not_allowed"
    outsider = _bearer(app, _user_id(app, "outsider@example.jp"))
    assert _beat(client, finished["session"], outsider).status_code == 403
    assert _beat(client, finished["first"], mine).json["error"]["code"] == "not_found"
    assert _beat(client, finished["session"], {}).status_code == 401


def test_heartbeats_outside_the_window_are_refused(app, world, client, finished):
    with app.app_context():
        archive = publish(finished["session"], finished["organizer"])
        archive.available_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = _beat(client, finished["session"], _bearer(app, world["participant"]))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "archive_closed"


def test_heartbeat_input_is_validated(app, world, client, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    mine = _bearer(app, world["participant"])
    url = f"/api/v1/sessions/{finished['session']}/archive/heartbeat"
    bad = client.post(url, data="{", content_type="application/json", headers=mine)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_json"
    for body in ({}, {"tab": "short"}, {"tab": "有効じゃない-tab-id"}, {"tab": 123456789}):
        response = client.post(url, json=body, headers=mine)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "validation_error"


def test_heartbeats_are_rate_limited(app, world, client, finished, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_HEARTBEATS_PER_USER", "3 per minute")
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    mine = _bearer(app, world["participant"])
    statuses = [_beat(client, finished["session"], mine).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _beat(client, finished["session"], mine).json["error"]["code"] == "rate_limited"


def test_a_browser_heartbeat_needs_the_csrf_token(app, world, finished):
    from tests.conftest import csrf_token, login

    with app.app_context():
        publish(finished["session"], finished["organizer"])
    browser = app.test_client()
    login(browser, world["emails"]["participant"])
    assert _beat(browser, finished["session"], {}).status_code == 400
    token = csrf_token(browser, "/me")
    assert _beat(browser, finished["session"], {"X-CSRFToken": token}).status_code == 200


def test_viewing_minutes_for_organisers_paged_and_the_persons_own(app, world, client, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"], venue_allowed=True)
        from app.archive import services

        archive = services.get_archive(finished["session"])
        t0 = utcnow()
        for who, minutes in (("online", 3), ("venue", 7)):
            person = db.session.get(User, finished[who])
            for s in range(0, minutes * 60 + 1, 30):
                services.heartbeat(archive, person, "tab-a-0001", t0 + timedelta(seconds=s))
        db.session.commit()
    organiser = _bearer(app, world["organizer"])
    url = f"/api/v1/sessions/{finished['session']}/archive/viewing"
    whole = client.get(url, headers=organiser).json
    assert (whole["people"], whole["minutes"]) == (2, 10)
    assert [v["minutes"] for v in whole["viewers"]] == [7, 3]  # by furigana: かいじょう, やまだ
    page = client.get(url, query_string={"page": 2, "per_page": 1}, headers=organiser).json
    assert [v["minutes"] for v in page["viewers"]] == [3]
    own = client.get("/api/v1/me/archive-viewing", headers=_bearer(app, world["participant"]))
    assert own.json == {"sessions": [{"session_id": finished["session"], "minutes": 3}]}
    history = client.get("/api/v1/me/history", headers=_bearer(app, world["participant"])).json
    sessions = history["series"][0]["sessions"]
    assert [s["archive_minutes"] for s in sessions] == [None, 3]


def test_the_openapi_document_describes_the_archive(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/sessions/{session_id}/archive"])
    assert "post" in paths["/api/v1/sessions/{session_id}/archive/heartbeat"]
    assert "get" in paths["/api/v1/sessions/{session_id}/archive/viewing"]
    assert "get" in paths["/api/v1/me/archives"] and "get" in paths["/api/v1/me/archive-viewing"]


def test_the_series_api_sets_and_shows_the_archive_option(app, world, client):
    headers = _bearer(app, world["organizer"])
    created = client.post(
        f"/api/v1/orgs/{world['org']}/series",
        json={"title": "アーカイブも数える講座", "archive_counts_minutes": 30},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["archive_counts_minutes"] == 30
    plain = client.post(
        f"/api/v1/orgs/{world['org']}/series", json={"title": "ふつうの講座"}, headers=headers
    )
    assert plain.json["archive_counts_minutes"] is None  # off by default
    bad = client.post(
        f"/api/v1/orgs/{world['org']}/series",
        json={"title": "x", "archive_counts_minutes": 0},
        headers=headers,
    )
    assert bad.status_code == 422 and "archive_counts_minutes" in bad.json["error"]["fields"]


def test_the_series_attendance_counts_archive_viewing_where_the_series_says_so(
    app, world, client, finished
):
    from app.attendance import services as attendance
    from app.events.models import Series

    with app.app_context():
        publish(finished["session"], finished["organizer"])
        from app.archive import services

        archive = services.get_archive(finished["session"])
        person = db.session.get(User, finished["online"])
        t0 = utcnow()
        for s in range(0, 20 * 60 + 1, 30):
            services.heartbeat(archive, person, "tab-a-0001", t0 + timedelta(seconds=s))
        attendance.recompute(db.session.get(Series, finished["series"]).sessions)
        db.session.commit()
    url = f"/api/v1/series/{finished['series']}/attendance"
    headers = _bearer(app, world["organizer"])

    def attended():
        people = client.get(url, headers=headers).json["people"]
        return {p["user"]["id"]: p["attended"] for p in people}[finished["online"]]

    assert attended() == 0  # off by default
    with app.app_context():
        db.session.get(Series, finished["series"]).archive_counts_minutes = 15
        db.session.commit()
    assert attended() == 1
