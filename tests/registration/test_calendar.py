"""Calendar feeds: the public one per series and a person's private one, parsed back."""

import re
from datetime import timedelta

import icalendar
from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Session
from app.extensions import db
from app.registration import calendar
from app.registration import services as reg
from app.registration.models import Registration
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert b"youtube" not in response.data  # never the stream URL
    return icalendar.Calendar.from_ical(response.data)


def events_by_uid(cal) -> dict:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def feed_url_on_page(client) -> str:
    page = client.get("/account/calendar").get_data(as_text=True)
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)
    assert url.startswith("http://localhost/calendar/") and url.endswith(".ics")
    assert 'href="webcal://localhost/calendar/' in page
    return url.removeprefix("http://localhost")


def test_public_feed_of_a_series(app, world, client):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5), ("online", None, 5)])
        events.update_session(series.sessions[0], None, {"map_url": "https://maps.example/m"})
        db.session.commit()
        events.cancel_session(series.sessions[1], None)
        db.session.commit()
        series_id = series.id
        s1, s2 = series.sessions
        uid1, uid2, s1_id = s1.ical_uid, s2.ical_uid, s1.id
        start, end = (t.replace(microsecond=0) for t in (s1.starts_at, s1.ends_at))
        draft = make_series(world["org"], published=False).id
    cal = parse(client.get(f"/series/{series_id}/calendar.ics"))
    assert cal["METHOD"] == "PUBLISH" and cal["X-WR-TIMEZONE"] == "Asia/Tokyo"
    assert cal["X-WR-CALNAME"] == "しまね関係人口ゼミ 2026"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    found = events_by_uid(cal)
    assert set(found) == {uid1, uid2}
    first, second = found[uid1], found[uid2]
    assert str(first["SUMMARY"]) == "しまね関係人口ゼミ 2026 第1回"
    assert first["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert first.decoded("DTSTART") == start and first.decoded("DTEND") == end
    assert str(first["LOCATION"]) == "松江市市民活動センター, 島根県松江市白潟本町43"
    assert str(first["URL"]) == f"http://localhost/sessions/{s1_id}"
    assert "https://maps.example/m" in str(first["DESCRIPTION"])
    assert str(first["STATUS"]) == "CONFIRMED" and first["SEQUENCE"] == 0
    assert str(second["STATUS"]) == "CANCELLED" and second["SEQUENCE"] == 1
    assert "LOCATION" not in second
    assert client.get(f"/series/{draft}/calendar.ics").status_code == 404


def test_uid_stays_and_sequence_grows_with_each_change(app, world, client):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 5, None)])
        session = series.sessions[0]
        series_id, uid = series.id, session.ical_uid
    before = events_by_uid(parse(client.get(f"/series/{series_id}/calendar.ics")))[uid]
    with app.app_context():
        session = db.session.scalar(select(Session))
        later = session.starts_at + timedelta(hours=1)
        events.update_session(
            session, None, {"starts_at": later, "ends_at": later + timedelta(hours=2)}
        )
        db.session.commit()
        events.update_session(session, None, {"venue_name": "雲南市民会館"})
        db.session.commit()
        events.update_session(session, None, {"venue_capacity": 50})  # nobody's calendar changes
        db.session.commit()
    after = events_by_uid(parse(client.get(f"/series/{series_id}/calendar.ics")))[uid]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 2
    assert after.decoded("DTSTART") == before.decoded("DTSTART") + timedelta(hours=1)
    assert str(after["LOCATION"]).startswith("雲南市民会館")


def test_private_feed_lists_the_persons_places(app, world):
    with app.app_context():
        user = create_user("feed@example.jp")
        series = make_series(
            world["org"], sessions=[("hybrid", 1, 5), ("hybrid", 5, 5), ("online", None, 5)]
        )
        s1, s2, s3 = series.sessions
        reg.register(series, create_user("first@example.jp"), mode="venue", consent=True)
        mine = reg.register(series, user, modes={s2.id: "online"}, mode="venue", consent=True)
        reg.cancel(mine, session_id=s3.id)
        other = make_series(world["org"], title="他人の講座")
        reg.register(other, create_user("else@example.jp"), mode="venue", consent=True)
        ids = {"waiting": s1.ical_uid, "online": s2.ical_uid, "cancelled": s3.ical_uid}
        s2_id = s2.id
    client = app.test_client()
    login(client, "feed@example.jp")
    url = feed_url_on_page(client)
    anonymous = app.test_client()  # calendar apps do not log in
    cal = parse(anonymous.get(url))
    assert cal["METHOD"] == "PUBLISH" and cal["X-WR-TIMEZONE"] == "Asia/Tokyo"
    found = events_by_uid(cal)
    assert set(found) == {ids["waiting"], ids["online"]}
    assert str(found[ids["waiting"]]["STATUS"]) == "TENTATIVE"
    assert str(found[ids["waiting"]]["LOCATION"]).startswith("松江市市民活動センター")
    online = found[ids["online"]]
    assert str(online["STATUS"]) == "CONFIRMED" and "LOCATION" not in online
    assert str(online["URL"]) == f"http://localhost/sessions/{s2_id}"
    assert f"http://localhost/sessions/{s2_id}" in str(online["DESCRIPTION"])
    assert "private" in anonymous.get(url).headers["Cache-Control"]


def test_private_feed_follows_changes_and_cancelled_sessions(app, world):
    with app.app_context():
        user = create_user("follow@example.jp")
        series = make_series(world["org"], sessions=[("venue", 5, None)] * 2)
        reg.register(series, user, consent=True)
        token = calendar.feed_token(user)
        s1, s2 = series.sessions
        events.cancel_session(s2, None)
        db.session.commit()
        uids = s1.ical_uid, s2.ical_uid
    found = events_by_uid(parse(app.test_client().get(f"/calendar/{token}.ics")))
    assert str(found[uids[0]]["STATUS"]) == "CONFIRMED"
    assert str(found[uids[1]]["STATUS"]) == "CANCELLED" and found[uids[1]]["SEQUENCE"] == 1


def test_resetting_the_address_revokes_the_old_one(app, world):
    with app.app_context():
        create_user("reset@example.jp")
    client = app.test_client()
    login(client, "reset@example.jp")
    old = feed_url_on_page(client)
    assert feed_url_on_page(client) == old  # stable until reset
    assert client.get(old).status_code == 200
    response = post_form(client, "/account/calendar/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/calendar"
    )
    new = feed_url_on_page(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    post_form(client, "/account/calendar/reset")
    assert client.get(new).status_code == 404


def test_bad_or_foreign_tokens_are_404(app, world):
    with app.app_context():
        user = create_user("gone@example.jp")
        token = calendar.feed_token(user)
        forged = calendar._serializer().dumps(["1", 1])
        wrong_salt = calendar.URLSafeSerializer(app.config["SECRET_KEY"], salt="other").dumps(
            [user.id, 1]
        )
    client = app.test_client()
    for bad in ("x", token[:-2] + "zz", forged, wrong_salt, "a" * 3000, "%00"):
        assert client.get(f"/calendar/{bad}.ics").status_code == 404, bad
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).deleted_at = utcnow()
        db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_calendar_page_needs_login(client):
    response = client.get("/account/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_feed_reads_in_a_constant_number_of_queries(app, world):
    from sqlalchemy import event

    with app.app_context():
        user = create_user("count@example.jp")
        token = calendar.feed_token(user)
        engine = db.engine
    client = app.test_client()

    def queries():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/calendar/{token}.ics").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        reg.register(
            make_series(world["org"]), db.session.get(User, user.id), mode="venue", consent=True
        )
    one = queries()
    with app.app_context():
        for i in range(4):
            series = make_series(world["org"], title=f"S{i}", sessions=[("hybrid", 5, 5)] * 3)
            reg.register(series, db.session.get(User, user.id), mode="online", consent=True)
    assert queries() == one
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 5
