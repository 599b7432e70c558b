"""What a security review found at the door (issue 13), asked for as an attacker or a hurried
member of staff would: nonces mean something only inside their session, a check-in needs a
venue, offline sync takes only what a scanner could have seen, and staff see the door, not the
organisation's records."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.checkin.models import CheckIn
from app.core.types import utcnow
from app.events.models import Mode
from app.extensions import db
from app.registration.models import Place, PlaceStatus
from tests.api.test_api_checkin import checkin_count, queued, registered, secret_of, token
from tests.checkin.helpers import series_happening_now
from tests.conftest import login
from tests.registration.factories import make_series


@pytest.fixture
def door(world, ctx):
    """Two sessions of the organisation happening now (a hybrid one and a venue one), one of
    another organisation happening now, and tokens for staff of each side."""
    here = series_happening_now(world["org"], sessions=[("hybrid", 5, 1)])
    hall = series_happening_now(world["org"], sessions=[("venue", 5, None)])
    theirs = series_happening_now(world["other_org"], sessions=[("venue", 5, None)])
    hanako = registered(here, "hanako@example.jp", answers={})
    return SimpleNamespace(
        here=here,
        session=here.sessions[0],
        hall=hall.sessions[0],
        theirs=theirs,
        their_session=theirs.sessions[0],
        hanako=hanako,
        hanako_in_hall=registered(hall, "hanako.hall@example.jp"),
        staff=token("staff@example.jp"),
        organizer=token("organizer@example.jp"),
        other=token("other@example.jp"),  # the owner of the other organisation
    )


def url(session, tail=""):
    return f"/api/v1/sessions/{session.id}/checkins{tail}"


# --- row 2: nonces are scoped to their session -----------------------------------------------


def test_another_organisation_replaying_our_nonce_learns_nothing_about_our_check_in(client, door):
    ours = client.post(
        url(door.session), json={"secret": secret_of(door.hanako), "nonce": "scan-1"},
        headers=door.staff,
    ).json  # fmt: skip
    assert ours["status"] == "ok"
    replayed = client.post(
        url(door.their_session), json={"secret": "x", "nonce": "scan-1"}, headers=door.other
    )
    assert replayed.status_code == 200
    assert replayed.json["status"] == "rejected" and replayed.json["reason"] == "unreadable"
    assert replayed.json["registration"] is None and replayed.json["checked_in_by"] is None
    assert "山田" not in replayed.text and "福間" not in replayed.text


def test_the_same_nonce_checks_in_someone_else_at_another_organisations_session(client, door):
    client.post(
        url(door.session), json={"secret": secret_of(door.hanako), "nonce": "scan-1"},
        headers=door.staff,
    )  # fmt: skip
    theirs = registered(
        door.theirs, "jiro@example.jp", name="別所 次郎", furigana="べっしょ じろう"
    )
    answer = client.post(
        url(door.their_session), json={"secret": secret_of(theirs), "nonce": "scan-1"},
        headers=door.other,
    ).json  # fmt: skip
    assert answer["status"] == "ok" and answer["registration"]["name"] == "別所 次郎"
    assert checkin_count() == 2


def test_a_nonce_replayed_at_another_session_of_the_organisation_is_refused(client, door):
    first = client.post(
        url(door.session), json={"secret": secret_of(door.hanako), "nonce": "n-1"},
        headers=door.staff,
    ).json  # fmt: skip
    assert first["status"] == "ok"
    body = {"secret": secret_of(door.hanako_in_hall), "nonce": "n-1"}
    elsewhere = client.post(url(door.hall), json=body, headers=door.staff).json
    assert (elsewhere["status"], elsewhere["reason"]) == ("rejected", "nonce_reused")
    assert elsewhere["message"] and elsewhere["registration"] is None
    manual = client.post(
        url(door.hall, "/manual"),
        json={"registration_id": door.hanako_in_hall.id, "nonce": "n-1"},
        headers=door.staff,
    ).json
    assert manual["reason"] == "nonce_reused"
    synced = client.post(
        url(door.hall, "/sync"),
        json={"scans": [queued(secret_of(door.hanako_in_hall), "n-1")]},
        headers=door.staff,
    ).json["results"][0]
    assert synced["reason"] == "nonce_reused"
    assert checkin_count() == 1  # nobody was checked in at the hall


def test_a_retried_scan_still_gets_its_verdict_but_its_nonce_admits_nobody_else(client, door):
    body = {"secret": secret_of(door.hanako), "nonce": "retry-1"}
    first = client.post(url(door.session), json=body, headers=door.staff).json
    again = client.post(url(door.session), json=body, headers=door.staff).json
    assert again == first and first["status"] == "ok"
    taro = registered(door.here, "taro@example.jp", name="鈴木 太郎", furigana="すずき たろう")
    body = {"secret": secret_of(taro), "nonce": "retry-1"}
    other = client.post(url(door.session), json=body, headers=door.staff).json
    assert (other["status"], other["reason"]) == ("rejected", "nonce_reused")
    assert "山田" not in str(other) and checkin_count() == 1


def test_the_scanner_page_knows_the_new_reasons_messages(app, world, door):
    client = app.test_client()
    login(client, world["emails"]["staff"])
    html = client.get(f"/orgs/{world['org']}/checkin/sessions/{door.session.id}").get_data(True)
    for reason in ("nonce_reused", "no_venue", "synced_too_late"):
        assert f"<dt>reason:{reason}</dt>" in html


# --- row 4: a check-in needs a venue -----------------------------------------------------------


def test_nobody_is_checked_in_at_an_online_only_session(app, client, world, door):
    online = series_happening_now(world["org"], sessions=[("online", None, 50)])
    session = online.sessions[0]
    taro = registered(online, "taro@example.jp", "online")
    manual = client.post(
        url(session, "/manual"), json={"registration_id": taro.id}, headers=door.staff
    )
    assert manual.status_code == 200
    assert (manual.json["status"], manual.json["reason"]) == ("rejected", "no_venue")
    assert manual.json["registration"] is None and manual.json["warning"] is None
    scanned = client.post(url(session), json={"secret": secret_of(taro)}, headers=door.staff)
    assert scanned.json["reason"] == "no_venue"
    synced = client.post(
        url(session, "/sync"),
        json={"scans": [queued(None, "o-1", registration_id=taro.id)]},
        headers=door.staff,
    )
    assert synced.json["results"][0]["reason"] == "no_venue"
    assert checkin_count() == 0
    db.session.expire_all()
    assert db.session.scalar(select(Place.mode).where(Place.registration_id == taro.id)) is (
        Mode.online
    )
    for tail in ("/list", "/status", "/search?q=すずき"):
        assert client.get(url(session, tail), headers=door.staff).status_code == 404
    page = app.test_client()
    login(page, world["emails"]["organizer"])
    assert page.get(f"/orgs/{world['org']}/checkin/sessions/{session.id}").status_code == 404


def test_undoing_a_check_in_that_moved_an_online_place_gives_the_place_back(client, door):
    taro = registered(door.here, "taro@example.jp", "online", name="鈴木 太郎")
    waiting = registered(door.here, "wait@example.jp", "online", name="待田 一")
    assert waiting.places[0].status is PlaceStatus.waitlisted  # the one online place is taro's
    ok = client.post(url(door.session), json={"secret": secret_of(taro)}, headers=door.staff).json
    assert ok["warning"] == "registered_online" and ok["registration"]["mode"] == "venue"
    undone = client.delete(f"/api/v1/checkins/{ok['checkin_id']}", headers=door.staff)
    assert undone.status_code == 204
    db.session.expire_all()
    place = db.session.scalar(select(Place).where(Place.registration_id == taro.id))
    assert (place.mode, place.status) == (Mode.online, PlaceStatus.confirmed)
    # who was promoted when taro came to the venue keeps the place
    kept = db.session.scalar(select(Place).where(Place.registration_id == waiting.id))
    assert kept.status is PlaceStatus.confirmed
    events = db.session.scalars(select(AuditEvent.event)).all()
    assert "registration.arrival_undone" in events
    # scanned again, the place moves again
    again = client.post(url(door.session), json={"secret": secret_of(taro)}, headers=door.staff)
    assert again.json["warning"] == "registered_online"


# --- row 12: offline sync takes only what a scanner could have seen ----------------------------


def _ended(session, hours_ago):
    session.ends_at = utcnow() - timedelta(hours=hours_ago)
    session.starts_at = session.ends_at - timedelta(hours=2)
    db.session.commit()


def test_a_scan_of_a_session_long_over_is_refused_by_registration_id_or_ticket(client, door):
    _ended(door.session, 24 * 180)  # June's session, synced in December
    during = (door.session.starts_at + timedelta(minutes=30)).isoformat()
    scans = [
        queued(None, "june-1", registration_id=door.hanako.id, scanned_at=during),
        queued(secret_of(door.hanako), "june-2", scanned_at=during),
    ]
    answer = client.post(url(door.session, "/sync"), json={"scans": scans}, headers=door.organizer)
    assert [r["reason"] for r in answer.json["results"]] == ["synced_too_late"] * 2
    assert all(r["message"] for r in answer.json["results"])
    # staff cannot even reach a session that far behind them
    refused = client.post(url(door.session, "/sync"), json={"scans": scans}, headers=door.staff)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "outside_checkin_hours"
    assert checkin_count() == 0


def test_a_sync_within_the_grace_after_the_session_is_accepted_as_at_its_scan_time(client, door):
    _ended(door.session, 11)  # CHECKIN_SYNC_GRACE_HOURS is 12
    during = (door.session.starts_at + timedelta(minutes=30)).isoformat()
    before = (door.session.starts_at - timedelta(hours=3)).isoformat()  # check-in opens 2 h before
    after = (door.session.ends_at + timedelta(minutes=5)).isoformat()
    scans = [
        queued(None, "g-0", registration_id=door.hanako.id, scanned_at=before),
        queued(None, "g-2", registration_id=door.hanako.id, scanned_at=after),
        queued(None, "g-1", registration_id=door.hanako.id, scanned_at=during),
    ]
    results = client.post(
        url(door.session, "/sync"), json={"scans": scans}, headers=door.staff
    ).json["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "too_early"),
        ("rejected", "closed"),
        ("ok", None),
    ]
    row = db.session.scalar(select(CheckIn))
    assert abs((row.checked_in_at - door.session.starts_at).total_seconds() - 1800) < 1


# --- row 16: staff see the door, not the organisation's records --------------------------------


def test_staff_find_people_by_name_from_one_character_and_by_a_whole_email_only(client, door):
    def found(q):
        answer = client.get(url(door.session, "/search"), query_string={"q": q}, headers=door.staff)
        assert answer.status_code == 200
        return [p["id"] for p in answer.json]

    assert found("や") == found("山") == [door.hanako.id]
    assert found("hanako") == found("@example.jp") == found("hanako@example") == []
    assert found("HANAKO@example.jp") == [door.hanako.id]


def test_staff_reach_a_session_only_around_it_and_organisers_always(app, client, world, door):
    past = make_series(world["org"], sessions=[("venue", 5, None)]).sessions[0]
    _ended(past, 24 * 3)
    next_week = make_series(world["org"], sessions=[("venue", 5, None)]).sessions[0]
    for session in (past, next_week):
        for tail in ("/list", "/status", "/search?q=や"):
            refused = client.get(url(session, tail), headers=door.staff)
            assert refused.status_code == 403, tail
            assert refused.json["error"]["code"] == "outside_checkin_hours"
            assert client.get(url(session, tail), headers=door.organizer).status_code == 200
    assert client.get(url(door.session, "/list"), headers=door.staff).status_code == 200
    past_id, today = past.id, door.session.id
    staff, organizer = app.test_client(), app.test_client()
    login(staff, world["emails"]["staff"])
    login(organizer, world["emails"]["organizer"])
    start = f"/orgs/{world['org']}/checkin"
    assert f"/checkin/sessions/{past_id}" not in staff.get(start).get_data(True)
    assert f"/checkin/sessions/{today}" in staff.get(start).get_data(True)
    assert f"/checkin/sessions/{past_id}" in organizer.get(start).get_data(True)
    assert staff.get(f"{start}/sessions/{past_id}").status_code == 403
    assert organizer.get(f"{start}/sessions/{past_id}").status_code == 200


def test_staff_read_no_attendance_records_of_the_organisation(app, client, world, door):
    series_id, session_id = door.here.id, door.session.id
    for path in (
        f"/api/v1/series/{series_id}/attendance",
        f"/api/v1/sessions/{session_id}/attendance",
    ):
        refused = client.get(path, headers=door.staff)
        assert refused.status_code == 403 and "山田" not in refused.text
        assert client.get(path, headers=door.organizer).status_code == 200
    page = app.test_client()
    login(page, world["emails"]["staff"])
    dashboard = f"/orgs/{world['org']}/series/{series_id}/sessions/{session_id}/attendance"
    assert page.get(dashboard).status_code == 403
