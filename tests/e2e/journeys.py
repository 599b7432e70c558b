"""What every journey test shares: the two screens, a screenshot and an axe-core run at each
step, clicking the header (folded into a menu on a phone) and logging in through the form.

A journey opens one address and then only clicks visible links and buttons; screenshots go to
test-results/journeys/<test>/NN-step.png (not committed) to be looked at.
"""

from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


class Journey:
    """Screenshots and an accessibility check (any violation, of any level) at every step."""

    def __init__(self, page, name: str):
        self.page = page
        self.folder = ROOT / "test-results" / "journeys" / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.step_no = 0
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def step(self, name: str, *, settle: bool = True) -> None:
        if settle:
            self.page.wait_for_load_state("networkidle")
        self.step_no += 1
        path = self.folder / f"{self.step_no:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.page.add_script_tag(path=str(AXE))
        results = self.page.evaluate("() => axe.run(document)")
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"]
        ]
        assert not problems, (name, self.page.url, problems)
        assert not self.errors, (name, self.errors)

    def menu(self, name: str) -> None:
        """Click a link or button of the header, opening its menu first where it is folded."""
        toggle = self.page.locator(".nav-toggle")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        nav = self.page.get_by_role("navigation", name="メインメニュー")
        nav.get_by_role("link", name=name, exact=True).click()

    def log_in(self, email: str) -> None:
        """From any page: the header's ログイン, then the form."""
        self.menu("ログイン")
        self.step("login")
        main = self.page.get_by_role("main")
        main.get_by_label("メールアドレス").fill(email)
        main.get_by_label("パスワード").fill(PASSWORD)
        main.get_by_role("button", name="ログイン").click()
        # The page the login leads to, stylesheet and all: until its CSS has arrived the header's
        # menu button shows on any screen, and a click on it (menu()) would find it gone.
        expect(self.page.locator("form[action='/logout']")).to_be_attached()
        self.page.wait_for_load_state()
