"""An organiser's journey on a laptop (1280×800), by clicking only: from the home page, log in,
create a series and its sessions, publish it, the participants table (sorted, CSV), a session's
attendance before and after its start, the series dashboard and the 年度 report in Excel.

One address is opened; after it only visible links and buttons are clicked. What participants
and the door do meanwhile (registering, a scan) is written through the services, as their own
journeys test those pages. Screenshots: test-results/journeys/test_journey_organiser/.
"""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.attendance.jobs import keep_current
from app.checkin import services as checkin
from app.core.timefmt import to_local
from app.core.types import utcnow
from app.events.models import Series
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.conftest import create_user
from tests.e2e.journeys import AXE, LAPTOP, Journey

TITLE = "海士町 関わり塾 2026"
PEOPLE = [
    # email, name, furigana, prefecture, mode of the first (hybrid) session
    ("aoki@example.jp", "青木 一郎", "あおき いちろう", "13", "venue"),
    ("hayashi@example.jp", "林 健", "はやし けん", "27", "online"),
    ("ueda@example.jp", "上田 美咲", "うえだ みさき", "32", "venue"),
    ("kato@example.jp", "加藤 翔太", "かとう しょうた", "13", "online"),
]


def _local(moment) -> str:
    """A moment as a datetime-local field takes it (Japan time)."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _register_people(app):
    """Participants register on their phones meanwhile (their journey is tested on its own)."""
    with app.app_context():
        series = db.session.scalar(select(Series).where(Series.title == TITLE))
        first = series.sessions[0]
        for email, name, furigana, prefecture, mode in PEOPLE:
            user = create_user(email, name=name, furigana=furigana, prefecture=prefecture)
            reg.register(series, user, modes={first.id: mode}, consent=True)


def _start_and_scan(app):
    """The first session started an hour ago and 青木 was scanned in at the door."""
    with app.app_context():
        series = db.session.scalar(select(Series).where(Series.title == TITLE))
        first = series.sessions[0]
        first.starts_at = utcnow() - timedelta(hours=1)
        first.ends_at = utcnow() + timedelta(hours=1)
        db.session.commit()
        aoki = db.session.scalar(select(User).where(User.email == "aoki@example.jp"))
        registration = db.session.scalar(
            select(Registration).where(
                Registration.series_id == series.id, Registration.user_id == aoki.id
            )
        )
        staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
        secret = checkin.issue_ticket(registration).secret
        assert checkin.decide(first, staff, secret=secret).status == "ok"
        db.session.commit()  # services flush; the caller commits
        keep_current()  # the mail thread's pass (every 15 s): the hour that went by counts
        db.session.commit()


def test_an_organiser_on_a_laptop_goes_from_a_new_series_to_the_annual_report_by_clicking(
    app, browser, live_server, world
):
    assert AXE.exists(), "run `npm ci` (axe-core is a devDependency)"
    context = browser.new_context(
        **LAPTOP, locale="ja-JP", base_url=live_server, bypass_csp=True, accept_downloads=True
    )
    page = context.new_page()
    journey = Journey(page, "test_journey_organiser")
    main = page.get_by_role("main")
    try:
        page.goto("/")  # the only address typed
        journey.step("home")
        # On a laptop the header is one line, with no menu button.
        assert not page.locator(".nav-toggle").is_visible()
        assert page.locator(".site-header").bounding_box()["height"] < 70

        journey.log_in("organizer@example.jp")
        journey.menu("主催団体")
        journey.step("organisations")
        main.get_by_role("link", name="しまね関係人口ラボ").click()
        journey.step("organisation")

        # A new series.
        main.get_by_role("link", name="連続講座を作成").click()
        journey.step("new-series")
        main.get_by_label("タイトル").fill(TITLE)
        main.get_by_label("地域の都道府県").select_option(label="島根県")
        main.get_by_label("市区町村").fill("海士町")
        main.get_by_label("修了に必要な出席回数").fill("2")
        main.get_by_label("プライバシーポリシー").fill("申込の情報は本講座の運営にのみ使います。")
        main.get_by_role("button", name="連続講座を作成").click()
        expect(main.get_by_role("heading", level=1)).to_contain_text(TITLE)
        journey.step("series-draft")

        # Two sessions: tomorrow at the venue and online, next week online only.
        tomorrow = utcnow() + timedelta(days=1)
        sessions = [
            ("第1回 島を知る", tomorrow, "ハイブリッド（会場＋オンライン）"),
            ("第2回 関わり方を考える", tomorrow + timedelta(days=7), "オンライン"),
        ]
        for number, (title, start, fmt) in enumerate(sessions, start=1):
            main.get_by_role("link", name="回を追加").click()
            if number == 1:
                journey.step("new-session")
            main.get_by_label("タイトル").fill(title)
            main.get_by_label("開始").fill(_local(start))
            main.get_by_label("終了").fill(_local(start + timedelta(hours=2)))
            main.get_by_label("開催形式").select_option(label=fmt)
            if fmt != "オンライン":
                main.get_by_label("会場", exact=True).fill("海士町中央公民館")
                main.get_by_label("会場の定員").fill("30")
            main.get_by_label("オンラインの定員").fill("100")
            main.get_by_role("button", name="回を追加").click()
            expect(main.get_by_text(title).first).to_be_visible()
        journey.step("series-with-sessions")

        main.get_by_role("button", name="公開する").click()
        expect(main.get_by_text("公開中").first).to_be_visible()
        journey.step("published")

        _register_people(app)

        # The participants: a table on a laptop, sortable, with its CSV.
        main.get_by_role("link", name="参加者", exact=True).first.click()
        table = main.get_by_role("table")
        expect(table.get_by_role("rowheader")).to_have_count(len(PEOPLE))
        journey.step("participants")
        names = table.get_by_role("rowheader").locator("strong")
        expect(names).to_have_text(["青木 一郎", "上田 美咲", "加藤 翔太", "林 健"])
        row = table.get_by_role("row").nth(1).bounding_box()
        assert row["height"] < 60, row  # one line a person, no wrapped names
        sticky = page.evaluate(
            "() => getComputedStyle(document.querySelector('.mg-participants th')).position"
        )
        assert sticky == "sticky"
        table.get_by_role("link", name="都道府県").click()
        expect(names).to_have_text(
            ["青木 一郎", "加藤 翔太", "林 健", "上田 美咲"]
        )  # 13, 13, 27, 32
        journey.step("participants-by-prefecture")
        filter_width = page.evaluate(
            "() => { const s = document.querySelector('select[name=status]');"
            " return [s.scrollWidth, s.clientWidth]; }"
        )
        assert filter_width[0] <= filter_width[1], filter_width  # the whole label shows

        with page.expect_download() as download:
            main.get_by_role("button", name="CSVをダウンロード").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:2] == ["氏名", "ふりがな"] and "第1回 島を知る：参加方法" in rows[0]
        assert not [h for h in rows[0] if re.search(r"[A-Za-z]{2,}", h)], rows[0]
        assert [r[0] for r in rows[1:]] == ["青木 一郎", "加藤 翔太", "林 健", "上田 美咲"]

        # The first session's attendance before it starts: who is expected, per mode.
        main.get_by_role("link", name=f"← {TITLE}").click()
        main.get_by_role("link", name="出席状況").first.click()
        expect(main.get_by_text("参加予定者数（確定）")).to_be_visible()
        expect(main.locator('[data-expected="venue"]')).to_have_text("2")
        expect(main.locator('[data-expected="online"]')).to_have_text("2")
        expect(main.get_by_role("table").get_by_role("link")).to_have_count(len(PEOPLE))
        journey.step("attendance-before-start")

        # After the start, with one scan at the door.
        _start_and_scan(app)
        main.get_by_role("link", name=f"← {TITLE}").click()
        main.get_by_role("link", name="出席状況").first.click()
        expect(main.locator('[data-count="attended_venue"]')).to_have_text("1")
        expect(main.locator('[data-count="registered"]')).to_have_text(str(len(PEOPLE)))
        journey.step("attendance-after-start")

        main.get_by_role("link", name=f"← {TITLE}").click()
        main.get_by_role("link", name="ダッシュボード").click()
        expect(main.get_by_role("heading", level=1)).to_contain_text(TITLE)
        journey.step("series-dashboard")

        # The 年度 report, from the organisation's page.
        main.get_by_role("link", name=f"← {TITLE}").click()
        main.get_by_role("link", name="← 連続講座・イベント").click()
        main.get_by_role("link", name="← しまね関係人口ラボ").click()
        main.get_by_role("link", name="年度報告").click()
        journey.step("annual-report")
        with page.expect_download() as download:
            main.get_by_role("button", name="Excel（すべての表）").click()
        book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert book.sheetnames == ["概要", "都道府県別", "講座別", "会場別", "参加者"]
        assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    finally:
        context.close()
