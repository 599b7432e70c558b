"""A per-session series (参加する回を選んで申込) on a phone (390×844) and on a laptop (1280×800),
by clicking only: from the home page, log in, register for one session choosing オンライン
(tapping the mode ticks the session), later book a second session from the registration page
and one the organiser added afterwards from the series page, cancel a session and book it
again. One address is opened; after it only visible links and buttons are clicked. Each step
leaves a screenshot in test-results/journeys/<test>/ and axe-core finds no violation of any
level on any page.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series
from app.extensions import db
from app.registration.models import PlaceStatus, Registration
from tests.conftest import create_user
from tests.e2e.journeys import LAPTOP, PHONE, Journey
from tests.registration.factories import make_series

TITLE = "えらべる しまね暮らし講座"


@pytest.fixture(params=["phone", "laptop"])
def screen_page(request, browser, live_server):
    """The same journey on a phone (390×844) and on a laptop (1280×800)."""
    screen = PHONE if request.param == "phone" else LAPTOP
    context = browser.new_context(**screen, locale="ja-JP", base_url=live_server, bypass_csp=True)
    context.screen_name = request.param
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 「この回をキャンセル」 asks first
    yield page
    context.close()


def places(app) -> dict[str, tuple[str, str]]:
    """{session title: (mode, status)} of the one registration."""
    with app.app_context():
        db.session.expire_all()
        registration = db.session.scalar(select(Registration))
        return {p.session.title: (p.mode.value, p.status.value) for p in registration.places}


def add_a_session_later(app, series_id: int) -> None:
    """The organiser adds 第4回 after people registered (their own page does this elsewhere)."""
    with app.app_context():
        start = utcnow() + timedelta(days=35)
        events.add_session(
            db.session.get(Series, series_id),
            None,
            {
                "title": "第4回 追加回",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": "online",
                "online_capacity": 50,
            },
        )
        db.session.commit()


def test_a_person_books_sessions_of_a_per_session_series_later_and_again(
    app, world, screen_page, live_server
):
    with app.app_context():
        create_user("erabu@example.jp", name="佐藤 えみ", furigana="さとう えみ")
        series = make_series(
            world["org"],
            title=TITLE,
            scope="session",
            sessions=[("hybrid", 20, 50), ("venue", 20, None), ("online", None, 50)],
        )
        series_id = series.id
    page = screen_page
    j = Journey(page, f"per_session_{page.context.screen_name}")
    main = page.get_by_role("main")

    page.goto("/")  # the one address typed
    j.step("home")
    j.log_in("erabu@example.jp")
    j.step("logged-in")

    j.menu("連続講座")
    j.step("series-list")
    main.get_by_role("link", name=TITLE).click()
    j.step("series-page")
    main.get_by_role("link", name="申し込む").click()
    j.step("register-form")

    # tapping オンライン for 第1回 ticks 第1回: nothing else to choose
    first = main.get_by_role("checkbox", name="第1回")
    expect(first).not_to_be_checked()
    group = main.get_by_role("group", name=re.compile("^第1回"))
    group.get_by_role("radio", name=re.compile("^オンライン")).click()
    expect(first).to_be_checked()
    main.get_by_role("checkbox", name=re.compile("プライバシーポリシーに同意")).check()
    j.step("register-filled")
    main.get_by_role("button", name="申し込む").click()
    j.step("confirmation")
    assert places(app) == {"第1回": ("online", "confirmed")}

    # later: a second session from the registration page
    add_a_session_later(app, series_id)
    j.menu("申込一覧")
    j.step("my-registrations")
    main.get_by_role("link", name=TITLE).click()
    j.step("registration")
    others = main.locator("#add-sessions")
    expect(others.get_by_role("heading", name="この講座のほかの回")).to_be_visible()
    others.locator("li", has_text="第2回").get_by_role("button", name="この回に申し込む").click()
    expect(main.locator(".flash-success", has_text="第2回")).to_be_visible()
    j.step("second-booked")
    assert places(app)["第2回"] == ("venue", "confirmed")

    # the session the organiser added after registering, from the series page
    main.get_by_role("link", name="この連続講座について").click()
    j.step("series-page-registered")
    added = main.locator("li.reg-session", has_text="第4回 追加回")
    added.get_by_role("button", name="この回に申し込む").click()
    expect(main.locator(".flash-success", has_text="第4回")).to_be_visible()
    j.step("added-session-booked")
    assert places(app)["第4回 追加回"] == ("online", "confirmed")

    # cancel 第2回, then book it again
    second = main.locator("li.reg-place", has_text="第2回")
    second.get_by_role("button", name="この回をキャンセル").click()
    expect(main.locator(".flash-success", has_text="キャンセル")).to_be_visible()
    j.step("second-cancelled")
    assert places(app)["第2回"][1] == PlaceStatus.cancelled.value
    second = main.locator("li.reg-place", has_text="第2回")
    second.get_by_role("button", name="この回に申し込む").click()
    expect(main.locator(".flash-success", has_text="第2回")).to_be_visible()
    j.step("second-booked-again")
    assert places(app) == {
        "第1回": ("online", "confirmed"),
        "第2回": ("venue", "confirmed"),
        "第4回 追加回": ("online", "confirmed"),
    }
    assert page.url.startswith(live_server)
