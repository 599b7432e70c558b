"""Organiser pages for sessions: add, edit, cancel; times in Japan time; errors beside fields."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.events import services as events
from app.events.models import Session, SessionFormat, SessionStatus
from app.extensions import db
from app.registration import services as reg
from app.registration.models import PlaceStatus, Registration
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series

HYBRID = {
    "title": "第1回 地域を知る",
    "starts_at": "2030-08-24T13:30",
    "ends_at": "2030-08-24T17:30",
    "format": "hybrid",
    "venues-0-name": "松江市市民活動センター",
    "venues-0-address": "島根県松江市白潟本町43",
    "venues-0-map_url": "https://maps.example.jp/matsue",
    "venues-0-capacity": "40",
    "online_capacity": "",
    "stream_url": "https://www.youtube.com/watch?v=zemi1",
    "notes": "筆記用具をお持ちください。",
}


def _add(client, org_id, series_id, data):
    path = f"/orgs/{org_id}/series/{series_id}/sessions/new"
    return post_form(client, path, data, token_from=path)


def test_adding_a_hybrid_session_in_japan_time(client, world, ctx):
    series = make_series(world["org"], sessions=[])
    login(client, "organizer@example.jp")
    response = _add(client, world["org"], series.id, HYBRID)
    assert response.status_code == 302
    session = db.session.scalar(select(Session))
    assert session.starts_at == datetime(2030, 8, 24, 4, 30, tzinfo=UTC)
    assert session.ends_at == datetime(2030, 8, 24, 8, 30, tzinfo=UTC)
    assert session.format is SessionFormat.hybrid
    assert (session.venue_capacity, session.online_capacity) == (40, None)  # blank: unlimited
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2030年8月24日(土) 13:30〜17:30" in page
    assert "https://www.youtube.com/watch?v=zemi1" in page  # the organiser sees the stream URL
    assert "松江市市民活動センター" in page


def test_session_errors_are_shown_beside_their_fields(client, world, ctx):
    series = make_series(world["org"], sessions=[])
    login(client, "organizer@example.jp")
    cases = [
        ({"ends_at": "2030-08-24T12:00"}, "ends_at"),  # ends before it starts
        ({"starts_at": "8月24日 午後"}, "starts_at"),  # no time at all
        ({"venues-0-capacity": ""}, "venues-0-capacity"),  # hybrid needs venue places
        ({"venues-0-name": ""}, "venues-0-name"),
        ({"venues-0-map_url": "javascript:alert(1)"}, "venues-0-map_url"),
        ({"online_capacity": "-3"}, "online_capacity"),
        ({"stream_url": "javascript:alert(1)"}, "stream_url"),
        ({"format": "zoom"}, "format"),
        ({"title": ""}, "title"),
    ]
    for change, field in cases:
        response = _add(client, world["org"], series.id, {**HYBRID, **change})
        assert response.status_code == 422, change
        assert f'id="{field}-error"' in response.get_data(as_text=True), change
    assert db.session.scalar(select(Session)) is None


def test_an_online_session_needs_no_venue(client, world, ctx):
    series = make_series(world["org"], sessions=[])
    login(client, "organizer@example.jp")
    data = {**HYBRID, "format": "online", "venues-0-name": "", "venues-0-capacity": ""}
    data["online_capacity"] = "200"
    assert _add(client, world["org"], series.id, data).status_code == 302
    session = db.session.scalar(select(Session))
    assert (session.venue_capacity, session.online_capacity) == (None, 200)


def test_editing_a_session_shows_japan_time_and_raising_capacity_promotes(client, world, ctx):
    series = make_series(world["org"], sessions=[])
    session = events.add_session(
        series,
        None,
        {
            "title": "第1回",
            "starts_at": datetime(2030, 8, 24, 4, 30, tzinfo=UTC),
            "ends_at": datetime(2030, 8, 24, 8, 30, tzinfo=UTC),
            "format": "venue",
            "venue_name": "松江市市民活動センター",
            "venue_capacity": 1,
        },
    )
    db.session.commit()
    reg.register(series, create_user("a@example.jp"), consent=True)
    waiting = reg.register(series, create_user("b@example.jp"), consent=True)
    assert waiting.places[0].status is PlaceStatus.waitlisted
    login(client, "organizer@example.jp")
    path = f"/orgs/{world['org']}/series/{series.id}/sessions/{session.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert 'value="2030-08-24T13:30"' in form and 'value="2030-08-24T17:30"' in form
    data = {
        "title": "第1回 会場変更",
        "starts_at": "2030-08-24T14:00",
        "ends_at": "2030-08-24T17:30",
        "format": "venue",
        "venues-0-id": str(session.venues[0].id),
        "venues-0-name": "松江テルサ",
        "venues-0-capacity": "2",
    }
    response = post_form(client, path, data, token_from=path)
    assert response.status_code == 302
    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert (session.title, session.venue_name, session.venue_capacity) == (
        "第1回 会場変更",
        "松江テルサ",
        2,
    )
    assert session.starts_at == datetime(2030, 8, 24, 5, 0, tzinfo=UTC)
    assert session.ical_sequence == 1  # time and place changed: calendars update
    assert db.session.get(Registration, waiting.id).places[0].status is PlaceStatus.confirmed


def test_cancelling_a_session(client, world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 2, 5)] * 2)
    first = series.sessions[0]
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    response = post_form(client, f"{base}/sessions/{first.id}/cancel", token_from=base)
    assert response.headers["Location"] == base
    db.session.expire_all()
    assert db.session.get(Session, first.id).status is SessionStatus.cancelled
    assert db.session.get(Session, series.sessions[1].id).status is SessionStatus.scheduled
    # a cancelled session can no longer be changed: said beside the form
    edit = f"{base}/sessions/{first.id}/edit"
    response = post_form(client, edit, HYBRID, token_from=edit)
    assert response.status_code == 422 and "form-errors" in response.get_data(as_text=True)


def test_a_session_is_reached_only_through_its_own_series(app, world, ctx):
    series = make_series(world["org"])
    another = make_series(world["org"], title="別の講座")
    session = series.sessions[0]
    organizer = app.test_client()
    login(organizer, "organizer@example.jp")
    wrong = f"/orgs/{world['org']}/series/{another.id}/sessions/{session.id}/edit"
    assert organizer.get(wrong).status_code == 404
    other = app.test_client()
    login(other, "other@example.jp")
    own = world["other_org"]
    assert other.get(f"/orgs/{own}/series/{series.id}/sessions/{session.id}/edit").status_code == (
        404
    )
    response = post_form(
        other, f"/orgs/{own}/series/{series.id}/sessions/{session.id}/cancel", token_from="/account"
    )
    assert response.status_code == 404
    db.session.refresh(session)
    assert session.status is SessionStatus.scheduled
    staff = app.test_client()
    login(staff, "staff@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    assert staff.get(f"{base}/sessions/new").status_code == 403
    assert (
        post_form(staff, f"{base}/sessions/{session.id}/cancel", token_from="/account").status_code
        == 403
    )
