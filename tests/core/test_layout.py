"""The page frame at both widths: the header folds into a menu on a phone (and works without
JavaScript), organiser pages use the laptop's width, the live room has its side column."""

import re
from datetime import timedelta

from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user, login
from tests.registration.factories import make_series


def test_the_header_menu_button_controls_the_links_and_works_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    button = re.search(r'<button type="button" class="nav-toggle"[^>]*>', html).group(0)
    assert 'aria-expanded="false"' in button and 'aria-controls="site-nav"' in button
    assert '<nav id="site-nav" class="site-nav"' in html
    assert '<header class="site-header" data-menu="closed">' in html
    assert '<script type="module" src="/static/js/nav-menu.js"></script>' in html
    # Without JavaScript the button could not open it: a stylesheet then shows the links.
    assert re.search(
        r'<noscript><link rel="stylesheet" href="/static/css/nojs.css"></noscript>', html
    )
    assert "display: block !important" in client.get("/static/css/nojs.css").get_data(as_text=True)
    script = client.get("/static/js/nav-menu.js").get_data(as_text=True)
    assert "aria-expanded" in script and "Escape" in script


def test_organiser_pages_are_wide_and_participant_pages_stay_narrow(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5)])
        series_id, session_id = series.id, series.sessions[0].id
        db.session.commit()
    organiser = app.test_client()
    login(organiser, "organizer@example.jp")
    org = world["org"]
    base = f"/orgs/{org}/series/{series_id}"
    for path in (
        f"/orgs/{org}/series",
        base,
        f"{base}/participants",
        f"{base}/sessions/{session_id}/attendance",
        f"{base}/dashboard",
        f"/orgs/{org}/reports",
    ):
        response = organiser.get(path)
        assert response.status_code == 200, path
        assert '<main id="main" class="wide">' in response.get_data(as_text=True), path
    for path in ("/", f"/series/{series_id}", "/account"):
        assert '<main id="main" class="">' in organiser.get(path).get_data(as_text=True), path


def test_the_live_room_puts_its_tabs_in_a_side_column(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("online", None, 5)])
        session = series.sessions[0]
        session.starts_at = utcnow() + timedelta(minutes=5)
        session.ends_at = session.starts_at + timedelta(hours=1)
        db.session.commit()
        reg.register(series, create_user("misaki@example.jp"), mode="online", consent=True)
        session_id = session.id
    client = app.test_client()
    login(client, "misaki@example.jp")
    html = client.get(f"/sessions/{session_id}/live").get_data(as_text=True)
    side = html.split('<div class="live-side">')[1]
    assert side.index('role="tablist"') < side.index('id="panel-chat"')
    assert html.index('class="live-stream"') < html.index('<div class="live-side">')
    css = app.test_client().get("/static/css/app.css").get_data(as_text=True)
    assert ".live > .live-side { grid-column: 2;" in css
