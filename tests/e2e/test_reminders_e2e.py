"""An organiser, on a phone and on a laptop, reaches every reminder setting by clicking from the
home page: the organisation's time of the day-before reminder (設定), a series' reminders page
with what was sent, and the switch that turns a series' reminders off. One address is opened,
then only visible links and buttons are clicked; a screenshot per step, axe on every page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.events.models import Series
from app.extensions import db
from app.orgs.models import Organization
from app.registration import services as reg
from app.registration.reminders import day_before_moment, queue_due_reminders
from tests.conftest import PASSWORD, create_user
from tests.e2e.test_accessibility import AXE
from tests.registration.factories import make_series

ROOT = Path(__file__).resolve().parents[2]
DEVICES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "laptop": {"viewport": {"width": 1280, "height": 800}},
}


class Journey:
    """The page, a numbered screenshot per step, and axe on every page seen."""

    def __init__(self, page, name: str):
        self.page, self.n = page, 0
        self.folder = ROOT / "test-results" / "journeys" / name
        self.folder.mkdir(parents=True, exist_ok=True)

    def step(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)
        self.page.add_script_tag(path=str(AXE))
        violations = self.page.evaluate("async () => (await axe.run(document)).violations")
        assert violations == [], [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in violations
        ]

    def log_in(self, email: str) -> None:
        """The header's ログイン, the form, and the next page with its stylesheet (until it has
        arrived the menu button shows on any screen)."""
        self.header_link("ログイン")
        self.page.get_by_label("メールアドレス").fill(email)
        self.page.get_by_label("パスワード").fill(PASSWORD)
        self.page.get_by_role("button", name="ログイン").click()
        expect(self.page.locator("form[action='/logout']")).to_be_attached()
        self.page.wait_for_load_state()

    def header_link(self, name: str) -> None:
        """A link of the header, behind the menu button on a narrow screen."""
        toggle = self.page.get_by_role("button", name="メニュー")
        if toggle.is_visible():
            toggle.click()
        self.page.get_by_role("navigation", name="メインメニュー").get_by_role(
            "link", name=name
        ).click()


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_an_organiser_sets_reminders_and_sees_what_was_sent_by_clicking(
    app, world, browser, live_server, device
):
    with app.app_context():
        series = make_series(world["org"], title="リマインドの講座", sessions=[("online", None, 5)])
        reg.register(series, create_user("p@example.jp"), mode="online", consent=True)
        queue_due_reminders(day_before_moment(series.sessions[0].starts_at, 18 * 60))
        db.session.commit()
        series_id = series.id
    context = browser.new_context(
        **DEVICES[device], locale="ja-JP", base_url=live_server, bypass_csp=True
    )
    page = context.new_page()
    journey = Journey(page, f"reminders-{device}")
    page.goto("/")
    journey.step("home")

    journey.log_in("organizer@example.jp")
    journey.header_link("主催団体")
    journey.step("organisations")
    page.get_by_role("link", name="しまね関係人口ラボ").click()
    journey.step("organisation")

    page.get_by_role("link", name="設定").click()
    journey.step("settings")
    time_field = page.get_by_label("前日のリマインドを送る時刻")
    expect(time_field).to_have_value("18:00")
    time_field.fill("19:30")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("設定を保存しました。")).to_be_visible()
    journey.step("settings-saved")
    with app.app_context():
        assert db.session.get(Organization, world["org"]).day_before_reminder_minute == 19 * 60 + 30

    page.get_by_role("link", name="しまね関係人口ラボ").click()
    page.get_by_role("link", name="連続講座・イベント").click()
    journey.step("series-list")
    page.get_by_role("link", name="リマインドの講座").click()
    journey.step("series")
    page.get_by_role("navigation", name="連続講座の管理").get_by_role(
        "link", name="リマインド"
    ).click()
    expect(page.get_by_role("heading", name="リマインド")).to_be_visible()
    expect(page.get_by_text("前日 19:30（日本時間）", exact=False)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="第1回")
    expect(row.get_by_role("cell", name="前日")).to_be_visible()
    expect(row.get_by_role("cell", name="1", exact=True)).to_be_visible()
    journey.step("reminders-sent")

    page.get_by_role("link", name="リマインドの送信を切り替える").click()
    journey.step("edit-series")
    page.get_by_label("リマインドメールを送る").uncheck()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("停止中")).to_be_visible()
    journey.step("series-reminders-off")
    with app.app_context():
        assert not db.session.get(Series, series_id).reminders_enabled
    context.close()
