"""The live room page: the stream for the people admitted, a clear "why not" for everyone else,
and the stream URL nowhere but inside the room."""

import re
from datetime import timedelta

import pytest

from app.core.types import utcnow
from app.events.models import SessionStatus
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user, login
from tests.registration.factories import make_series

VIDEO = "kakawari-demo"
STREAM = f"https://www.youtube.com/watch?v={VIDEO}"


def make_room(world, *, starts_in=timedelta(minutes=5), stream_url=STREAM, fmt="hybrid"):
    """A session whose room is open now (by default); returns ids."""
    series = make_series(world["org"], sessions=[(fmt, 5, 5)])
    session = series.sessions[0]
    session.starts_at = utcnow() + starts_in
    session.ends_at = session.starts_at + timedelta(hours=2)
    session.stream_url = stream_url
    db.session.commit()
    return series, session


def registrant(series, email, mode):
    user = create_user(email)
    reg.register(series, user, mode=mode, consent=True)
    return user


def page(client, email, session_id):
    login(client, email)
    return client.get(f"/sessions/{session_id}/live")


def assert_no_stream(html):
    assert VIDEO not in html and "youtube" not in html.lower()
    assert "<iframe" not in html and 'id="live-room"' not in html


def test_online_registrant_in_the_window_gets_the_room_and_the_stream(app, world, client):
    with app.app_context():
        series, session = make_room(world)
        registrant(series, "online@example.jp", "online")
        session_id = session.id
    response = page(client, "online@example.jp", session_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'src="https://www.youtube-nocookie.com/embed/{VIDEO}"' in html
    assert f'data-session-id="{session_id}"' in html and 'data-role="participant"' in html
    assert "private, no-store" in response.headers["Cache-Control"]
    # The Content-Security-Policy allows only our own files: no inline script or style.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html
    assert "/static/vendor/socket.io/socket.io.min.js" in html and "/static/js/live.js" in html
    # The words the script shows travel as one JSON attribute, escaped.
    strings = re.search(r'data-strings="([^"]*)"', html).group(1)
    assert "&#34;connected&#34;" in strings


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://us02web.zoom.us/j/8123456789?pwd=abc", "Zoom"),
        ("https://meet.jit.si/kakawari-room", "Jitsi"),
    ],
)
def test_zoom_and_jitsi_are_a_big_link_opening_in_a_new_tab(app, world, client, url, label):
    with app.app_context():
        series, session = make_room(world, stream_url=url)
        registrant(series, "online@example.jp", "online")
        session_id = session.id
    html = page(client, "online@example.jp", session_id).get_data(as_text=True)
    link = re.search(r'<a class="button primary live-join"[^>]*>[^<]*</a>', html).group(0)
    assert f'href="{url.replace("&", "&amp;")}"' in link
    assert 'target="_blank"' in link and 'rel="noopener noreferrer"' in link
    assert label in link
    assert "<iframe" not in html


def test_a_room_without_a_stream_yet_says_so(app, world, client):
    with app.app_context():
        series, session = make_room(world, stream_url="")
        registrant(series, "online@example.jp", "online")
        session_id = session.id
    html = page(client, "online@example.jp", session_id).get_data(as_text=True)
    assert 'class="live-nostream"' in html and "<iframe" not in html


@pytest.mark.parametrize(
    ("who", "why"),
    [("venue", "venue"), ("stranger", "not_registered"), ("other", "not_registered")],
)
def test_people_not_registered_online_see_why_and_never_the_stream(app, world, client, who, why):
    with app.app_context():
        series, session = make_room(world)
        registrant(series, "online@example.jp", "online")
        email = {
            "venue": lambda: registrant(series, "venue@example.jp", "venue").email,
            "stranger": lambda: create_user("stranger@example.jp").email,
            "other": lambda: world["emails"]["other"],  # owner of another organisation
        }[who]()
        series_id, session_id = series.id, session.id
    response = page(client, email, session_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert f"live-closed-{why}" in html
    assert f'href="/series/{series_id}"' in html  # where to register or switch to online
    assert_no_stream(html)


def test_a_venue_registrant_is_pointed_at_the_switch_to_online(app, world, client):
    with app.app_context():
        series, session = make_room(world)
        user = registrant(series, "venue@example.jp", "venue")
        registration_id = reg.active_registration(series.id, user.id).id
        session_id = session.id
    html = page(client, "venue@example.jp", session_id).get_data(as_text=True)
    assert f'href="/registrations/{registration_id}"' in html


def test_a_cancelled_online_place_does_not_enter(app, world, client):
    with app.app_context():
        series, session = make_room(world)
        user = registrant(series, "online@example.jp", "online")
        reg.cancel(reg.active_registration(series.id, user.id))
        session_id = session.id
    response = page(client, "online@example.jp", session_id)
    assert response.status_code == 403
    assert "live-closed-not_registered" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in_and_back(app, world, client):
    with app.app_context():
        _series, session = make_room(world)
        session_id = session.id
    response = client.get(f"/sessions/{session_id}/live")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/sessions/{session_id}/live"


def test_before_the_window_the_page_says_when_the_room_opens(app, world, client):
    with app.app_context():
        series, session = make_room(world, starts_in=timedelta(days=3))
        registrant(series, "online@example.jp", "online")
        session_id = session.id
    response = page(client, "online@example.jp", session_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "live-closed-not_open_yet" in html
    assert f'href="/sessions/{session_id}/live"' in html  # reload
    assert_no_stream(html)


def test_after_the_window_and_when_cancelled_the_room_is_closed(app, world, client):
    with app.app_context():
        series, session = make_room(world)
        registrant(series, "online@example.jp", "online")
        registrant(series, "venue@example.jp", "venue")
        session.starts_at = utcnow() - timedelta(hours=3)  # ended an hour ago, +30 min closed
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        session_id = session.id
    # Nobody is told to switch to online for a session that is over.
    html = page(app.test_client(), "venue@example.jp", session_id).get_data(as_text=True)
    assert "live-closed-over" in html
    login(client, "online@example.jp")
    html = client.get(f"/sessions/{session_id}/live").get_data(as_text=True)
    assert "live-closed-over" in html
    assert_no_stream(html)
    with app.app_context():
        from app.events.models import Session

        db.session.get(Session, session_id).status = SessionStatus.cancelled
        db.session.commit()
    html = client.get(f"/sessions/{session_id}/live").get_data(as_text=True)
    assert "live-closed-cancelled" in html
    assert_no_stream(html)


@pytest.mark.parametrize(("who", "role"), [("organizer", "organizer"), ("owner", "organizer")])
def test_the_organisation_enters_even_outside_the_window(app, world, client, who, role):
    with app.app_context():
        _series, session = make_room(world, starts_in=timedelta(days=3))
        session_id = session.id
    response = page(client, world["emails"][who], session_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-role="{role}"' in html and f"/embed/{VIDEO}" in html
    assert ('id="poll-form"' in html) is (role == "organizer")  # moderation is for organisers
    assert ('id="announce-form"' in html) is (role == "organizer")


def test_sessions_without_a_room_are_not_found(app, world, client):
    with app.app_context():
        _series, venue_only = make_room(world, fmt="venue")
        draft = make_series(world["org"], sessions=[("online", None, 5)], published=False)
        ids = (venue_only.id, draft.sessions[0].id, 999999)
    login(client, world["emails"]["organizer"])
    for session_id in ids:
        assert client.get(f"/sessions/{session_id}/live").status_code == 404
