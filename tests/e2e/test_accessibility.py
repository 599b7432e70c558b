"""axe-core finds no serious or critical accessibility problem on the main pages, as drawn by
Chromium on a phone: the public list and a series page, log in and sign up, a participant's
registrations and live room, an organiser's series list and dashboard, and the scanner.

axe is a test-only npm package, read from node_modules (not copied into static/vendor).
"""

from datetime import timedelta
from pathlib import Path

import pytest

from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user
from tests.e2e.test_live_e2e import session_cookie
from tests.registration.factories import make_series

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def pages(app, world):
    """A published hybrid series of `world`'s organisation whose first session starts in 5
    minutes (live room and check-in open), with a participant registered online."""
    with app.app_context():
        series = make_series(
            world["org"], title="しまね関係人口ゼミ 2026", sessions=[("hybrid", 5, 5)]
        )
        session = series.sessions[0]
        session.stream_url = "https://meet.jit.si/kakawari-a11y"  # a link: nothing to fetch
        session.starts_at = utcnow() + timedelta(minutes=5)
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        reg.register(series, create_user("misaki@example.jp"), mode="online", consent=True)
        org, series_id, session_id = world["org"], series.id, session.id
    return {
        None: [
            "/",
            "/series",
            f"/series/{series_id}",
            f"/sessions/{session_id}",
            f"/o/{org}",
            "/prefectures/32",
            "/series?tab=finished&date_from=bad",
            "/login",
            "/signup",
        ],
        "misaki@example.jp": [
            "/registrations",
            "/registrations/claim",
            f"/sessions/{session_id}/live",
        ],
        "organizer@example.jp": [
            f"/orgs/{org}/series",
            f"/orgs/{org}/series/{series_id}",
            f"/orgs/{org}/series/{series_id}/participants",
        ],
        "staff@example.jp": [f"/orgs/{org}/checkin/sessions/{session_id}"],
    }


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_problems(app, browser, live_server, pages):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    found = {}
    for email, paths in pages.items():
        # The page's CSP allows only our own scripts; axe is injected by the test.
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            locale="ja-JP",
            base_url=live_server,
            bypass_csp=True,
        )
        if email:
            name, value = app.config["SESSION_COOKIE_NAME"], session_cookie(app, email)
            context.add_cookies([{"name": name, "value": value, "url": live_server}])
        page = context.new_page()
        for path in paths:
            response = page.goto(path)
            assert response.ok, f"{path}: {response.status}"
            page.wait_for_load_state("networkidle")
            if problems := serious_violations(page):
                found[path] = problems
        context.close()
    assert not found, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in found.items())
