"""Cross-cutting promises: security headers, error pages, translations, config, CLI, seed."""

import re
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.extensions import db
from app.orgs.models import Membership, Organization
from tests.conftest import TestConfig

ROOT = Path(__file__).resolve().parents[2]


def test_security_headers_and_a_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_has_inline_script_or_style():
    for path in (ROOT / "templates").rglob("*.html"):
        # data blocks (<script type="application/json">) are never run: the only allowed kind
        html = path.read_text().replace('<script type="application/json"', "")
        # every other script is a file of ours (src), a classic one or an ES module
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert re.search(r'\ssrc="', tag), (path, tag)
        assert " onclick=" not in html and " style=" not in html and "<style" not in html, path


def test_https_mode_sets_secure_cookies_and_hsts(tmp_path):
    app = create_app(
        TestConfig,
        HTTPS=True,
        INSTANCE_DIR=tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
    )
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]
    plain = app.test_client().get("/login")  # http is redirected to https
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")


def test_unknown_page_is_a_translated_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "見つかりません" in response.get_data(as_text=True)


def test_a_secret_key_is_generated_into_the_instance_folder_once(tmp_path):
    from config import Config

    class NoKey(Config):
        SECRET_KEY = None
        INSTANCE_DIR = tmp_path

    first = create_app(NoKey, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/a.db")
    second = create_app(NoKey, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/a.db")
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_every_message_is_translated_to_japanese():
    with open(ROOT / "app/translations/ja/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert missing == []


def test_catalog_is_up_to_date_with_the_code(tmp_path):
    """Every string in the code is in the catalog (run `make extract-messages` when this fails)."""
    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "app/translations/babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with open(pot, "rb") as f:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(ROOT / "app/translations/ja/LC_MESSAGES/messages.po", "rb") as f:
        in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert in_code - in_catalog == set()


def test_make_admin_command(app, ctx):
    from tests.conftest import create_user

    create_user("boss@example.jp")
    result = app.test_cli_runner().invoke(args=["users", "make-admin", "BOSS@example.jp"])
    assert result.exit_code == 0
    assert db.session.scalar(select(User.is_admin).where(User.email == "boss@example.jp"))
    missing = app.test_cli_runner().invoke(args=["users", "make-admin", "ghost@example.jp"])
    assert missing.exit_code != 0 and "No active account" in missing.output


def test_demo_seed_is_idempotent_and_has_the_documented_people(app, ctx):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    emails = set(db.session.scalars(select(User.email)))
    assert {
        "owner@example.jp",
        "organizer@example.jp",
        "staff@example.jp",
        "participant@example.jp",
        "p001@example.jp",
        "p120@example.jp",
        "viewer@example.jp",
    } <= emails
    # 126 with a login, and one person the organiser added by phone, without an email
    assert db.session.scalar(select(func.count()).select_from(User)) == 127
    # the demo organisation, and 島根県's desk that views its programme (委託元)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 2
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 4
    prefectures = set(db.session.scalars(select(User.prefecture)))
    assert {"13", "27", "32"} <= prefectures
    from app.accounts.services import authenticate

    assert authenticate("p120@example.jp", "kakawari-demo").email == "p120@example.jp"

    from app.events.models import Series
    from app.registration.models import Place, Registration

    zemi, marumori = (
        db.session.scalar(select(Series).where(Series.title == title))
        for title in ("しまね関係人口ゼミ 2026", "ふるさとみつけ塾 in 丸森")
    )
    assert [s.format.value for s in zemi.sessions] == [
        "hybrid",
        "online",
        "online",
        "online",
        "hybrid",
    ]
    assert zemi.sessions[0].venue_capacity == 40 and zemi.sessions[1].online_capacity == 200
    assert zemi.completion_min_sessions == 4 and marumori.selection.value == "lottery"
    place_states = set(db.session.scalars(select(Place.status).distinct()))
    assert {s.value for s in place_states} == {"confirmed", "waitlisted", "applied", "cancelled"}
    venue_confirmed = db.session.scalar(
        select(func.count())
        .select_from(Place)
        .where(
            Place.session_id == zemi.sessions[0].id,
            Place.mode == "venue",
            Place.status == "confirmed",
        )
    )
    assert venue_confirmed == 40  # full, with people waiting
    # 108 for the two 2026 series (one added by phone), 56 for the spring course, 31 for the
    # consultation in Tokyo whose check-in is open (app/demo/door.py), 5 for the per-session
    # series (app/demo/choose.py), 80 for the series in Tokyo and Matsue (app/demo/satellite.py)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 164 + 31 + 5 + 80

    # past sessions have attendance from real-looking evidence; the participant completed the
    # spring course and is half-way through the ゼミ
    from app.attendance import services as attendance
    from app.attendance.models import Attendance

    spring = db.session.scalar(select(Series).where(Series.title == "しまね関係人口ゼミ 2026 春"))
    statuses = set(db.session.scalars(select(Attendance.status).distinct()))
    assert {s.value for s in statuses} == {
        "attended_venue",
        "attended_online",
        "partial",
        "absent",
        "excused",
    }
    assert all(attendance.is_final(s.id) for s in spring.sessions + zemi.sessions[:2])
    participant = db.session.scalar(select(User).where(User.email == "participant@example.jp"))
    done = attendance.progress(participant.id, [spring.id, zemi.id])
    assert done[spring.id].completed and (done[zemi.id].attended, done[zemi.id].completed) == (
        2,
        False,
    )


def test_demo_live_room_is_open_after_seeding_and_live_now_reopens_it(app, ctx):
    from datetime import timedelta

    from app.accounts.models import User as U
    from app.core.types import utcnow
    from app.events.models import Session
    from app.live import services as live

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    session = db.session.scalar(select(Session).where(Session.title == "第3回 地域の仕事をのぞく"))
    participant = db.session.scalar(select(U).where(U.email == "participant@example.jp"))
    assert live.admit(session, participant).role.value == "participant"  # open right now
    session.starts_at = utcnow() - timedelta(days=3)
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    result = runner.invoke(args=["demo", "live-now"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert live.admit(db.session.get(Session, session.id), participant)


def test_an_id_too_big_for_the_database_is_not_found_not_an_error(client, world):
    """Integer columns hold 2**31 - 1 at most (PostgreSQL's integer); a bigger id in a URL
    would overflow in the driver."""
    for path in ("/series/2147483648", "/series/99999999999999999999999"):
        assert client.get(path).status_code == 404
    response = client.get("/api/v1/series/99999999999999999999999")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    spec = client.get("/api/v1/openapi.json").get_json()
    (param,) = spec["paths"]["/api/v1/series/{series_id}"]["parameters"]
    assert param["schema"]["maximum"] == 2**31 - 1


def test_a_database_that_went_away_is_a_503_to_retry_not_a_500(app, client, monkeypatch):
    """A restart or failover of the database: the client is told to try again (the scanner
    retries with the same nonce), in JSON under /api/ and as a page elsewhere."""
    from sqlalchemy.exc import OperationalError

    from app.events import services as events
    from app.registration import portal

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(events, "public_series", gone)
    monkeypatch.setattr(portal, "search_series", gone)
    page = client.get("/series")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    api = client.get("/api/v1/series")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "service_unavailable"
