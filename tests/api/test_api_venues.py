"""サテライト会場 in the API: a session's venues with their places, the check-in API at one
venue (the venue named in a red verdict, the override), and the figures per venue; all in
the OpenAPI document."""

from app.checkin.models import CheckIn
from app.extensions import db
from app.registration.models import PlaceStatus
from tests.api.test_api_checkin import checkin_count, registered, secret_of, token
from tests.checkin.helpers import place_at, two_venue_series


def _two_venues(world):
    series, session, matsue, tokyo = two_venue_series(world["org"])
    hanako = registered(series, "hanako@example.jp", venue_id=matsue.id)
    ken = registered(
        series, "ken@example.jp", name="林 健", furigana="はやし けん", venue_id=tokyo.id
    )
    waiting = registered(
        series, "yumi@example.jp", name="小林 由美", furigana="こばやし ゆみ", venue_id=tokyo.id
    )
    place = place_at(waiting, session, tokyo)
    place.status = PlaceStatus.waitlisted
    db.session.commit()
    return series, session, matsue, tokyo, hanako, ken


def test_a_series_shows_each_venue_of_its_sessions_with_its_places(world, ctx, client):
    series, _session, matsue, tokyo, *_ = _two_venues(world)
    answer = client.get(f"/api/v1/series/{series.id}").json
    venues = answer["sessions"][0]["venues"]
    assert [(v["id"], v["name"], v["capacity"], v["taken"], v["waiting"]) for v in venues] == [
        (matsue.id, "松江会場", 5, 1, 0),
        (tokyo.id, "東京会場", 5, 1, 1),
    ]
    assert venues[1]["address"] == "東京都千代田区" and "map_url" in venues[1]


def test_the_check_in_api_works_at_one_venue_with_the_override(world, ctx, client):
    _series, session, matsue, tokyo, hanako, _ken = _two_venues(world)
    staff = token(world["emails"]["staff"])
    url = f"/api/v1/sessions/{session.id}/checkins"
    secret = secret_of(hanako)
    missing = client.post(url, json={"secret": secret}, headers=staff)
    assert missing.status_code == 422 and "venue_id" in missing.json["error"]["fields"]
    red = client.post(url, json={"secret": secret, "venue_id": tokyo.id}, headers=staff).json
    assert (red["status"], red["reason"], red["ticket_venue"]) == (
        "rejected",
        "wrong_venue",
        "松江会場",
    )
    assert red["overridable"] is True and checkin_count() == 0
    body = {"secret": secret, "venue_id": tokyo.id, "override": True, "override_note": "遅延"}
    green = client.post(url, json=body, headers=staff).json
    assert green["status"] == "ok" and green["venue_override"] is True
    assert green["checked_in_venue"] == "東京会場"
    assert db.session.get(CheckIn, green["checkin_id"]).venue_id == tokyo.id
    status = client.get(f"{url}/status?venue_id={tokyo.id}", headers=staff).json
    assert (status["checked_in"], status["from_other_venues"]) == (1, 1)
    assert status["recent"][0]["venue_override"] is True
    assert client.get(f"{url}/status?venue_id={matsue.id}", headers=staff).json["checked_in"] == 0
    foreign = client.get(f"{url}/list?venue_id=999999", headers=staff)
    assert foreign.status_code == 422


def test_the_openapi_document_describes_venues_and_the_override(app, client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert {"id", "name", "address", "map_url", "capacity", "taken", "waiting"} <= set(
        schemas["VenueOut"]["properties"]
    )
    assert {"venue_id", "override", "override_note"} <= set(schemas["ScanRequest"]["properties"])
    assert {"venue_id", "override"} <= set(schemas["SyncScan"]["properties"])
    assert {"ticket_venue", "overridable", "checked_in_venue"} <= set(
        schemas["VerdictOut"]["properties"]
    )
    assert "venues" in schemas["SessionAttendanceOut"]["properties"]
    assert {"venue_id", "name", "places", "attended"} <= set(
        schemas["VenueFigureOut"]["properties"]
    )
    list_params = doc["paths"]["/api/v1/sessions/{session_id}/checkins/list"]["get"]["parameters"]
    assert "venue_id" in [p["name"] for p in list_params]


def test_the_attendance_api_gives_the_figures_per_venue(app, world):
    from tests.attendance.test_venue_figures import _held
    from tests.conftest import login

    with app.app_context():
        series, session, matsue, tokyo = _held(world["org"])
        ids = series.id, session.id, matsue.id, tokyo.id
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    one = client.get(f"/api/v1/sessions/{ids[1]}/attendance?counts_only=true").json
    assert [(v["venue_id"], v["places"], v["attended"]) for v in one["venues"]] == [
        (ids[2], 4, 2),
        (ids[3], 2, 3),
        (None, 2, 1),
    ]
    every = client.get(f"/api/v1/series/{ids[0]}/attendance").json
    assert every["sessions"][0]["venues"] == one["venues"]
