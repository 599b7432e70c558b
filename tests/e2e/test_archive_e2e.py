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


def test_an_organiser_on_a_laptop_publishes_the_archive_by_clicking(
    app, browser, live_server, world, missed
):
    """The organiser, from home: the series' page → アーカイブ of the finished session → a
    Vimeo address, 7 days, venue people too → 保存 → published, and the mail queued once."""
    from app.archive.models import Archive
    from app.mail.models import OutgoingMail
    from tests.e2e.journeys import LAPTOP

    with app.app_context():  # the fixture published a YouTube link: start from none
        db.session.execute(Archive.__table__.delete())
        db.session.execute(OutgoingMail.__table__.delete())
        db.session.commit()
    context = browser.new_context(**LAPTOP, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_archive_organiser_e2e")
    main = page.get_by_role("main")
    try:
        page.goto("/")
        journey.step("home")
        journey.log_in("organizer@example.jp")
        journey.menu("主催団体")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        main.get_by_role("link", name="連続講座・イベント").click()
        main.get_by_role("link", name="しまね関係人口ゼミ 2026").first.click()
        journey.step("series")
        main.get_by_test_id(f"archive-link-{missed['session']}").click()
        journey.step("archive-form")
        main.get_by_label("録画のURL").fill("http://example.jp/video")
        main.get_by_role("button", name="保存").click()
        expect(main.get_by_text("録画のURLを入力してください").first).to_be_visible()
        journey.step("archive-refused")
        main.get_by_label("録画のURL").fill("https://vimeo.com/123456789/abcdef1234")
        main.get_by_label("公開日数").fill("7")
        main.get_by_label("会場参加で申し込んだ方も視聴できるようにする").check()
        main.get_by_label("公開する", exact=True).check()
        main.get_by_role("button", name="保存").click()
        expect(main.get_by_test_id("archive-state")).to_contain_text("公開中")
        journey.step("archive-published")
        with app.app_context():
            archive = db.session.scalar(select(Archive))
            assert archive.embed_url == "https://player.vimeo.com/video/123456789?h=abcdef1234"
            assert archive.venue_allowed and archive.days == 7
            mails = select(OutgoingMail.recipient).where(
                OutgoingMail.subject.contains("アーカイブ")
            )
            assert db.session.scalars(mails).all() == ["participant@example.jp"]
    finally:
        context.close()
