"""The series and sessions API: public reading, organisers creating, tenants kept apart."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.core.types import utcnow
from app.events.models import Series, SeriesStatus
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_org, create_user
from tests.registration.factories import make_series

STREAM = "https://www.youtube.com/watch?v=demo"
SESSION = {
    "title": "第1回 島で暮らすということ",
    "starts_at": "2030-08-24T13:30:00+09:00",
    "ends_at": "2030-08-24T17:30:00+09:00",
    "format": "hybrid",
    "venue_name": "松江市市民活動センター",
    "venue_address": "島根県松江市白潟本町43",
    "venue_capacity": 40,
    "online_capacity": 200,
    "stream_url": STREAM,
}


def bearer(app, user_id):
    """An API token for the user, made directly (the token endpoint is tested elsewhere)."""
    with app.app_context():
        secret = create_api_token(db.session.get(User, user_id), "test")[1]
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_role(app, world):
    """as_role("organizer") -> headers with that person's token."""
    return lambda role: bearer(app, world[role])


# --- creating series ---------------------------------------------------------------------------


def test_organiser_creates_a_series(client, world, as_role):
    body = {
        "title": "しまね関係人口ゼミ 2026",
        "description": "**島根**とつながる連続講座",
        "selection": "first_come",
        "scope": "series",
        "registration_opens_at": "2026-04-01T10:00:00+09:00",
        "registration_closes_at": "2026-05-31T23:59:00+09:00",
        "completion_min_sessions": 4,
        "online_threshold_percent": 60,
        "prefecture": "島根県",
        "municipality": "松江市",
        "waitlist_enabled": True,
        "privacy_notice": "申込情報は講座の運営にのみ使います。",
        "published": True,
    }
    response = client.post(
        f"/api/v1/orgs/{world['org']}/series", json=body, headers=as_role("organizer")
    )
    assert response.status_code == 201, response.json
    series = response.json
    assert series["title"] == "しまね関係人口ゼミ 2026"
    assert series["status"] == "published"
    assert series["org"]["id"] == world["org"]
    assert series["prefecture"] == {"code": "32", "name": "島根県"}
    assert series["completion_min_sessions"] == 4 and series["online_threshold_percent"] == 60
    assert series["sessions"] == [] and series["questions"] == []
    opens = datetime.fromisoformat(series["registration_opens_at"])
    assert opens == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # stored and answered in UTC
    owner_made = client.post(
        f"/api/v1/orgs/{world['org']}/series", json={"title": "下書き"}, headers=as_role("owner")
    )
    assert owner_made.status_code == 201 and owner_made.json["status"] == "draft"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ベル\x07"}, "title"),
        ({"prefecture": "アトランティス"}, "prefecture"),
        ({"prefecture": ["32"]}, "prefecture"),
        ({"selection": "raffle"}, "selection"),
        ({"scope": 3}, "scope"),
        ({"registration_opens_at": "2026-04-01T10:00:00"}, "registration_opens_at"),
        ({"registration_opens_at": "next week"}, "registration_opens_at"),
        (
            {
                "registration_opens_at": "2026-05-01T00:00:00+09:00",
                "registration_closes_at": "2026-04-01T00:00:00+09:00",
            },
            "registration_closes_at",
        ),
        ({"selection": "lottery"}, "registration_closes_at"),
        ({"completion_min_sessions": 0}, "completion_min_sessions"),
        ({"completion_min_sessions": "four"}, "completion_min_sessions"),
        ({"online_threshold_percent": 101}, "online_threshold_percent"),
        ({"published": "perhaps"}, "published"),
        ({"description": "\x00"}, "description"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_series_validation_names_the_field(client, world, as_role, change, field):
    body = {"title": "しまね関係人口ゼミ", **change}
    response = client.post(
        f"/api/v1/orgs/{world['org']}/series", json=body, headers=as_role("organizer")
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["fields"][field][0]
    with client.application.app_context():
        assert db.session.scalar(db.select(Series)) is None


def test_a_time_without_offset_says_how_to_write_it(client, world, as_role):
    body = {"title": "ゼミ", "registration_opens_at": "2026-04-01T10:00:00"}
    response = client.post(
        f"/api/v1/orgs/{world['org']}/series",
        json=body,
        headers={**as_role("organizer"), "Accept-Language": "en"},
    )
    assert "+09:00" in response.json["error"]["fields"]["registration_opens_at"][0]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("participant", 404), ("other", 404), ("admin", 404), ("staff", 403)],
)
def test_only_organisers_of_the_org_create_series(client, world, as_role, role, status):
    headers = {} if role == "anonymous" else as_role(role)
    response = client.post(
        f"/api/v1/orgs/{world['org']}/series", json={"title": "ゼミ"}, headers=headers
    )
    assert response.status_code == status
    missing = client.post("/api/v1/orgs/999999/series", json={"title": "ゼミ"}, headers=headers)
    assert missing.status_code == (401 if role == "anonymous" else 404)


# --- adding sessions ---------------------------------------------------------------------------


@pytest.fixture
def series_id(app, world):
    with app.app_context():
        return make_series(world["org"], sessions=()).id


def test_organiser_adds_a_session_with_offset_times(client, series_id, as_role):
    response = client.post(
        f"/api/v1/series/{series_id}/sessions", json=SESSION, headers=as_role("organizer")
    )
    assert response.status_code == 201, response.json
    session = response.json
    assert datetime.fromisoformat(session["starts_at"]) == datetime(2030, 8, 24, 4, 30, tzinfo=UTC)
    assert session["format"] == "hybrid" and session["status"] == "scheduled"
    assert session["stream_url"] == STREAM  # the organiser who set it sees it back
    assert session["places"]["venue"] == {
        "capacity": 40,
        "left": 40,
        "waitlisted": 0,
        "applied": 0,
        "availability": "available",
    }
    assert session["places"]["online"]["capacity"] == 200
    utc = client.post(
        f"/api/v1/series/{series_id}/sessions",
        json={**SESSION, "starts_at": "2030-09-01T04:30:00Z", "ends_at": "2030-09-01T08:30:00Z"},
        headers=as_role("owner"),
    )
    assert utc.status_code == 201
    assert datetime.fromisoformat(utc.json["starts_at"]) == datetime(2030, 9, 1, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2030-08-24T13:30:00"}, "starts_at"),
        ({"ends_at": "2030-08-24 17:30"}, "ends_at"),
        ({"starts_at": "2030-08-24"}, "starts_at"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"starts_at": None}, "starts_at"),
        ({"ends_at": "2030-08-24T12:00:00+09:00"}, "ends_at"),
        ({"format": "zoom"}, "format"),
        ({"venue_name": ""}, "venue_name"),
        ({"venue_capacity": None}, "venue_capacity"),
        ({"venue_capacity": -1}, "venue_capacity"),
        ({"venue_capacity": 10**12}, "venue_capacity"),
        ({"online_capacity": 2.5}, "online_capacity"),
        ({"stream_url": "javascript:alert(1)"}, "stream_url"),
        ({"map_url": "ftp://example.jp/map"}, "map_url"),
        ({"title": "\x00"}, "title"),
        ({"notes": ["a"]}, "notes"),
    ],
)
def test_session_validation_names_the_field(client, series_id, as_role, change, field):
    response = client.post(
        f"/api/v1/series/{series_id}/sessions",
        json={**SESSION, **change},
        headers=as_role("organizer"),
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"][field][0]


def test_a_naive_session_time_is_refused_with_a_clear_message(client, series_id, as_role):
    response = client.post(
        f"/api/v1/series/{series_id}/sessions",
        json={**SESSION, "starts_at": "2030-08-24T13:30:00"},
        headers={**as_role("organizer"), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    # The caller's stored language (ja) wins over Accept-Language for a token holder.
    assert "2026-08-24T13:30:00+09:00" in response.json["error"]["fields"]["starts_at"][0]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("participant", 404), ("other", 404), ("admin", 404), ("staff", 403)],
)
def test_only_organisers_of_the_series_org_add_sessions(client, series_id, as_role, role, status):
    headers = {} if role == "anonymous" else as_role(role)
    response = client.post(f"/api/v1/series/{series_id}/sessions", json=SESSION, headers=headers)
    assert response.status_code == status
    assert response.json["error"]["code"]
    missing = client.post("/api/v1/series/999999/sessions", json=SESSION, headers=headers)
    assert missing.status_code == (401 if role == "anonymous" else 404)


def test_another_orgs_organiser_cannot_touch_this_series(app, client, world, series_id):
    with app.app_context():
        rival = create_user("rival@example.jp")
        create_org("隣の町", organizer=rival)
        rival_id = rival.id
    response = client.post(
        f"/api/v1/series/{series_id}/sessions", json=SESSION, headers=bearer(app, rival_id)
    )
    assert response.status_code == 404
    listing = client.get(f"/api/v1/series/{series_id}/registrations", headers=bearer(app, rival_id))
    assert listing.status_code == 404


# --- reading -----------------------------------------------------------------------------------


def test_series_page_shows_places_left_per_mode_and_never_the_stream(app, client, world, as_role):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 2, 5), ("online", None, None)])
        for i in range(3):
            reg.register(series, create_user(f"p{i}@example.jp"), mode="venue", consent=True)
        series_id, first = series.id, series.sessions[0].id
    for headers in ({}, as_role("participant"), as_role("organizer")):
        response = client.get(f"/api/v1/series/{series_id}", headers=headers)
        assert response.status_code == 200
        assert STREAM not in response.get_data(as_text=True)
        assert "stream_url" not in response.get_data(as_text=True)
    sessions = response.json["sessions"]
    assert sessions[0]["id"] == first
    assert sessions[0]["places"]["venue"] == {
        "capacity": 2,
        "left": 0,
        "waitlisted": 1,
        "applied": 0,
        "availability": "full",
    }
    assert sessions[0]["places"]["online"]["left"] == 5
    assert sessions[1]["places"] == {
        "online": {
            "capacity": None,
            "left": None,
            "waitlisted": 0,
            "applied": 0,
            "availability": "unlimited",
        }
    }


def test_questions_are_listed_so_clients_can_answer_them(app, client, world):
    from app.events import services as events

    with app.app_context():
        series = make_series(world["org"])
        events.set_questions(
            series,
            [
                {
                    "kind": "single",
                    "label": "島との関わり",
                    "options": ["出身", "興味"],
                    "required": True,
                }
            ],
        )
        db.session.commit()
        series_id = series.id
    questions = client.get(f"/api/v1/series/{series_id}").json["questions"]
    assert [(q["kind"], q["label"], q["options"], q["required"]) for q in questions] == [
        ("single", "島との関わり", ["出身", "興味"], True)
    ]
    assert isinstance(questions[0]["id"], int)


def test_drafts_are_seen_only_by_members_of_the_org(app, client, world, as_role):
    with app.app_context():
        draft = make_series(world["org"], published=False).id
    assert client.get(f"/api/v1/series/{draft}").status_code == 404
    for role in ("participant", "other", "admin"):
        assert client.get(f"/api/v1/series/{draft}", headers=as_role(role)).status_code == 404
    for role in ("staff", "organizer", "owner"):
        response = client.get(f"/api/v1/series/{draft}", headers=as_role(role))
        assert response.status_code == 200 and response.json["status"] == "draft"
    assert client.get("/api/v1/series/999999").status_code == 404


def test_list_shows_published_series_with_filters(app, client, world):
    with app.app_context():
        shimane = make_series(world["org"], title="しまね", prefecture="32").id
        venue_only = make_series(
            world["org"], title="会場のみ", prefecture="31", sessions=[("venue", 10, None)]
        ).id
        make_series(world["org"], title="下書き", published=False)
        cancelled = make_series(world["org"], title="中止", prefecture="32")
        db.session.get(Series, cancelled.id).status = SeriesStatus.cancelled
        db.session.commit()

    def ids(query=""):
        response = client.get(f"/api/v1/series{query}")
        assert response.status_code == 200, response.json
        return {s["id"] for s in response.json}

    assert ids() == {shimane, venue_only}
    assert ids("?prefecture=32") == ids("?prefecture=島根県") == {shimane}
    assert ids("?format=venue") == {venue_only}
    assert ids("?format=hybrid") == {shimane}
    assert ids("?online=true") == {shimane}
    assert ids("?online=false&utm_source=x") == {shimane, venue_only}
    listed = client.get("/api/v1/series?prefecture=31").json[0]
    assert listed["title"] == "会場のみ" and listed["org"]["id"] == world["org"]
    assert [s["format"] for s in listed["sessions"]] == ["venue"]
    assert "stream_url" not in json.dumps(client.get("/api/v1/series").json)


@pytest.mark.parametrize(
    "query", ["?prefecture=Atlantis", "?format=zoom", "?online=maybe", "?prefecture=%00"]
)
def test_bad_filters_are_422(client, query):
    response = client.get(f"/api/v1/series{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_upcoming_series_come_first(app, client, world):
    with app.app_context():
        later = make_series(world["org"], title="後").id
        sooner = make_series(world["org"], title="先")
        for session in sooner.sessions:
            session.starts_at = utcnow() + timedelta(days=2)
            session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        sooner = sooner.id
    assert [s["id"] for s in client.get("/api/v1/series").json] == [sooner, later]


# --- bad input ---------------------------------------------------------------------------------

BAD_BODIES = ["not json", "[1, 2]", '"text"', "null", "123", '{"title": {"a": 1}}', "{"]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_malformed_json_never_500(client, world, series_id, as_role, body):
    headers = as_role("organizer")
    for url in (f"/api/v1/orgs/{world['org']}/series", f"/api/v1/series/{series_id}/sessions"):
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code in (400, 422), (url, body)
        assert response.json["error"]["code"] in ("invalid_json", "validation_error")


def test_cookie_calls_need_the_csrf_token(client, world):
    from tests.conftest import csrf_token, login

    login(client, "organizer@example.jp")
    url = f"/api/v1/orgs/{world['org']}/series"
    refused = client.post(url, json={"title": "ゼミ"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    ok = client.post(
        url, json={"title": "ゼミ"}, headers={"X-CSRFToken": csrf_token(client, "/orgs")}
    )
    assert ok.status_code == 201


def test_openapi_documents_the_endpoints_and_their_errors(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    expected = {
        "/api/v1/series": ["get"],
        "/api/v1/series/{series_id}": ["get"],
        "/api/v1/orgs/{org_id}/series": ["post"],
        "/api/v1/series/{series_id}/sessions": ["post"],
        "/api/v1/series/{series_id}/registrations": ["post", "get"],
        "/api/v1/me/registrations": ["get"],
        "/api/v1/registrations/{registration_id}": ["delete"],
    }
    for path, methods in expected.items():
        for method in methods:
            operation = paths[path][method]
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            assert "schema" in operation["responses"][ok]["content"]["application/json"], path
            if method == "post":
                assert "requestBody" in operation, path
                assert "422" in operation["responses"], path
    schemas = spec["components"]["schemas"]
    assert "stream_url" not in schemas["SessionOut"]["properties"]
    assert schemas["SessionCreate"]["properties"]["starts_at"]["format"] == "date-time"
    conflict = paths["/api/v1/series/{series_id}/registrations"]["post"]["responses"]["409"]
    assert "already_registered" in conflict["description"]
    for path, method in [
        ("/api/v1/orgs/{org_id}/series", "post"),
        ("/api/v1/series/{series_id}/sessions", "post"),
        ("/api/v1/series/{series_id}/registrations", "get"),
    ]:
        assert {"401", "403", "404"} <= set(paths[path][method]["responses"]), path
