"""The scanner pages: who may open them, what they list, and that they obey the CSP."""

import re
from datetime import timedelta

import pytest

from app.core.types import utcnow
from app.extensions import db
from tests.checkin.helpers import series_happening_now
from tests.conftest import login
from tests.registration.factories import make_series

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


@pytest.fixture
def now_session(app, world):
    with app.app_context():
        series = series_happening_now(
            world["org"], title="しまね関係人口ゼミ 2026", sessions=[("hybrid", 5, 5)]
        )
        return series.sessions[0].id


def _client(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, world["emails"][role])
    return client


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("organizer", 200),
        ("owner", 200),
        ("other", 404),
        ("participant", 404),
        ("admin", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_open_the_scanner(app, world, now_session, role, status):
    client = _client(app, world, role)
    org = world["org"]
    assert client.get(f"/orgs/{org}/checkin").status_code == status
    assert client.get(f"/orgs/{org}/checkin/sessions/{now_session}").status_code == status


def test_a_session_of_another_organisation_is_not_found_through_ours(app, world):
    with app.app_context():
        foreign = make_series(world["other_org"], sessions=[("venue", 5, None)]).sessions[0].id
    client = _client(app, world, "owner")
    assert client.get(f"/orgs/{world['org']}/checkin/sessions/{foreign}").status_code == 404
    assert client.get(f"/orgs/{world['org']}/checkin/sessions/999999").status_code == 404


def test_start_page_lists_venue_sessions_with_their_check_in_window(app, world, now_session):
    with app.app_context():
        make_series(world["org"], title="オンラインだけの講座", sessions=[("online", None, 50)])
        make_series(world["org"], title="下書きの講座", published=False)
        later = make_series(world["org"], title="来年の講座", sessions=[("venue", 5, None)])
        later.sessions[0].starts_at = utcnow() + timedelta(days=300)
        later.sessions[0].ends_at = utcnow() + timedelta(days=300, hours=2)
        past = make_series(world["org"], title="先週の講座", sessions=[("venue", 5, None)])
        past.sessions[0].starts_at = utcnow() - timedelta(days=3, hours=2)
        past.sessions[0].ends_at = utcnow() - timedelta(days=3)
        db.session.commit()
        past_id = past.sessions[0].id
    html = _client(app, world, "organizer").get(f"/orgs/{world['org']}/checkin").get_data(True)
    assert f"/orgs/{world['org']}/checkin/sessions/{now_session}" in html
    assert "session-card-open" in html
    assert f"/checkin/sessions/{past_id}" in html and "session-card-closed" in html
    assert "オンラインだけの講座" not in html
    assert "下書きの講座" not in html
    assert "来年の講座" not in html
    # the session runs 30 minutes from now for 2 hours; check-in opens 2 hours before it
    assert "〜" in html


def test_scanner_page_carries_the_csrf_token_and_only_external_scripts(app, world, now_session):
    response = _client(app, world, "staff").get(
        f"/orgs/{world['org']}/checkin/sessions/{now_session}"
    )
    html = response.get_data(True)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    scripts = SCRIPT.findall(html)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]
    assert all(body.strip() == "" for _, body in scripts)  # no inline script
    assert "/static/vendor/jsqr/jsQR.js" in sources
    assert "/static/js/scanner.js" in sources
    assert not re.search(r"\sstyle=", html)  # style-src 'self': no style attributes
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert f'data-session-id="{now_session}"' in html
    assert 'data-api="/api/v1"' in html
    assert f'data-sw-scope="/orgs/{world["org"]}/checkin/"' in html
    # the reasons the phone shows when it decides offline come from the server's catalogue
    assert "<dt>reason:waitlisted</dt>" in html and "<dt>mode:online</dt>" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def test_every_file_of_the_page_is_served(app, world, now_session):
    """The service worker caches these for offline use: a missing one breaks the shell."""
    client = _client(app, world, "staff")
    html = client.get(f"/orgs/{world['org']}/checkin/sessions/{now_session}").get_data(True)
    files = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(files) >= 5
    for path in files:
        assert client.get(path).status_code == 200, path


def test_service_worker_may_control_the_scanner_pages(client):
    response = client.get("/checkin/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/orgs/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert b"kakawari-scanner-" in response.data


def test_organisation_overview_links_staff_to_the_scanner(app, world):
    html = _client(app, world, "staff").get(f"/orgs/{world['org']}").get_data(True)
    assert f'href="/orgs/{world["org"]}/checkin"' in html


def test_staff_can_add_the_scanner_to_their_home_screen(app, world, now_session):
    """The scanner and the session list link a manifest whose start page is the org's check-in
    and whose icons exist; the manifest itself names nothing and needs no login."""
    org = world["org"]
    staff = _client(app, world, "staff")
    for path in (f"/orgs/{org}/checkin", f"/orgs/{org}/checkin/sessions/{now_session}"):
        html = staff.get(path).get_data(as_text=True)
        assert f'<link rel="manifest" href="/orgs/{org}/checkin/manifest.webmanifest">' in html
        assert 'rel="apple-touch-icon"' in html

    response = app.test_client().get(f"/orgs/{org}/checkin/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["start_url"] == f"/orgs/{org}/checkin" and manifest["display"] == "standalone"
    assert manifest["name"] and "しまね" not in response.get_data(as_text=True)
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        image = app.test_client().get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png", icon["src"]
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert image.data[16:24] == width.to_bytes(4, "big") + height.to_bytes(4, "big")


def test_every_page_links_the_sites_manifest(app):
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.json">' in html
    manifest = app.test_client().get("/static/manifest.json").json
    assert manifest["start_url"] == "/" and manifest["icons"]
