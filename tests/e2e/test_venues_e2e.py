"""サテライト会場 on a phone (390×844), by clicking only: a person in Tokyo opens a series whose
session is held in 東京会場 and 松江会場 at once (plus online), sees the places left at each,
picks 松江会場, and the ticket names 松江会場 with its address; later they switch to 東京会場 on
their registration page and the ticket follows. One address is opened; each step leaves a
screenshot in test-results/journeys/<test>/ and axe-core finds no violation on any page.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.registration.models import Registration
from tests.conftest import create_user
from tests.e2e.journeys import PHONE, Journey
from tests.registration.factories import make_two_venue_series

TITLE = "しまコトアカデミー 2026"


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def held(app) -> tuple[str, str | None, str]:
    """(mode, venue name, status) of the one registration's place."""
    with app.app_context():
        db.session.expire_all()
        (place,) = db.session.scalar(select(Registration)).places
        return place.mode.value, place.venue.name if place.venue else None, place.status.value


def test_a_person_picks_matsue_on_a_two_venue_session_and_the_ticket_names_it(
    app, world, phone_page
):
    with app.app_context():
        create_user("tokyo@example.jp", name="田中 みのり", furigana="たなか みのり")
        make_two_venue_series(world["org"], title=TITLE, tokyo=20, matsue=15, online=30)
    page = phone_page
    j = Journey(page, "venues_phone")
    main = page.get_by_role("main")

    page.goto("/")  # the one address typed
    j.step("home")
    j.log_in("tokyo@example.jp")
    j.menu("連続講座")
    j.step("series-list")
    main.get_by_role("link", name=TITLE).click()
    # the series page names both venues, each with its own places left
    expect(main.get_by_text("東京会場", exact=True).first).to_be_visible()
    expect(main.locator(".reg-modes li", has_text="松江会場")).to_contain_text("残り15席")
    j.step("series-page")
    main.get_by_role("link", name="申し込む").click()
    j.step("register-form")

    group = main.get_by_role("group", name=re.compile("^第1回"))
    # someone in Tokyo is offered 東京会場 first; they choose 松江会場
    expect(group.get_by_role("radio", name=re.compile("^東京会場"))).to_be_checked()
    expect(group.get_by_role("radio", name=re.compile("^オンライン"))).to_be_visible()
    group.get_by_role("radio", name=re.compile("^松江会場")).check()
    main.get_by_role("checkbox", name=re.compile("プライバシーポリシーに同意")).check()
    j.step("register-matsue")
    main.get_by_role("button", name="申し込む").click()
    j.step("confirmation")
    assert held(app) == ("venue", "松江会場", "confirmed")

    main.get_by_role("link", name="受付用QRコードを表示").first.click()
    ticket = main.locator(".ticket")
    expect(ticket.locator(".ticket-venue")).to_have_text("松江会場 · 島根県松江市白潟本町43")
    expect(ticket).not_to_contain_text("東京会場")
    j.step("ticket-matsue")

    # plans change: 東京会場 has room, one tap moves the place there
    j.menu("申込一覧")
    main.get_by_role("link", name=TITLE).click()
    j.step("registration")
    main.get_by_role("button", name="東京会場に変更").click()
    expect(main.locator(".flash-success")).to_contain_text("東京会場での参加に変更しました")
    j.step("switched-to-tokyo")
    assert held(app) == ("venue", "東京会場", "confirmed")
    main.get_by_role("link", name="受付用QRコードを表示").first.click()
    expect(main.locator(".ticket .ticket-venue")).to_have_text(
        "東京会場 · 東京都千代田区有楽町2-10-1"
    )
    j.step("ticket-tokyo")
