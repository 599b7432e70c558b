"""An online participant who missed a session watches its archive on a phone (390×844), by
clicking only: home → ログイン → マイページ → the archive → viewing counted (the page's
heartbeats, awaited) → 参加履歴 shows the archive minutes, apart from live attendance.
Screenshots per step in test-results/journeys/test_archive_e2e/."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.archive import services as archive_services
from app.archive.models import ArchiveInterval, ArchiveViewing
from app.attendance.models import Attendance
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.e2e.journeys import AXE, PHONE, Journey
from tests.registration.factories import make_series


@pytest.fixture
def missed(app, world):
    """しまね関係人口ゼミ: the participant registered online for a session that ended an hour ago
    and missed it; its archive is published. Three minutes were watched earlier in another tab."""
    with app.app_context():
        series = make_series(world["org"], title="しまね関係人口ゼミ 2026",
                             sessions=[("hybrid", 40, 200)])  # fmt: skip
        session = series.sessions[0]
        session.title = "第1回 島で暮らす"
        person = db.session.get(User, world["participant"])
        reg.register(series, person, mode="online", consent=True)
        session.ends_at = utcnow() - timedelta(hours=1)
        session.starts_at = session.ends_at - timedelta(hours=2)
        db.session.commit()
        organizer = db.session.get(User, world["organizer"])
        archive_services.save(
            session, organizer, {"url": "https://youtu.be/AbCdEfGhIjK", "published": True}
        )
        earlier = utcnow() - timedelta(minutes=30)
        db.session.add(
            ArchiveInterval(session_id=session.id, user_id=person.id, tab="earlier-phone-tab",
                            started_at=earlier, last_seen_at=earlier + timedelta(minutes=3))
        )  # fmt: skip
        db.session.flush()
        archive_services._refresh(session.id, person.id, utcnow())
        db.session.commit()
        return {"session": session.id, "person": person.id}


def _is_beat(response) -> bool:
    return response.url.endswith("/archive/heartbeat") and response.request.method == "POST"


def test_an_archive_opened_from_mypage_is_counted_and_shown_in_the_history(
    app, browser, live_server, world, missed, monkeypatch
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    monkeypatch.setitem(app.config, "ARCHIVE_HEARTBEAT_SECONDS", 1)
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_archive_e2e")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")
        journey.log_in(world["emails"]["participant"])
        journey.menu("マイページ")
        card = page.get_by_test_id(f"archive-{missed['session']}")
        expect(card).to_contain_text("第1回 島で暮らす")
        journey.step("mypage")

        with page.expect_response(_is_beat) as first:
            card.get_by_role("link", name="アーカイブを見る").click()
        assert first.value.status == 200
        began = first.value.json()["seconds"]
        assert began >= 180  # the earlier tab's three minutes
        counted = began
        for _beat in range(5):  # the next heartbeats, a second apart (ARCHIVE_HEARTBEAT_SECONDS)
            with page.expect_response(_is_beat) as later:
                pass
            assert later.value.status == 200
            counted = later.value.json()["seconds"]
            if counted > began:
                break
        assert counted > began  # this tab's time is counted
        expect(page.get_by_test_id("archive-minutes")).to_have_text("視聴済み：3 分")
        journey.step("archive", settle=False)

        with app.app_context():
            viewing = db.session.get(ArchiveViewing, (missed["session"], missed["person"]))
            assert viewing.seconds > 180
            # never live attendance
            assert db.session.scalar(select(Attendance.status)) is None

        page.get_by_role("link", name="マイページ").last.click()
        journey.menu("参加履歴")
        expect(page.get_by_test_id(f"archive-minutes-{missed['session']}")).to_have_text(
            "アーカイブ視聴 3 分"
        )
        journey.step("history")
    finally:
        context.close()
