"""A participant on a phone finds a hybrid series, registers choosing online for one session,
sees the confirmation, then switches another session on the detail page.

Selectors are ids, names and data attributes, so the test reads the same before and after the
Japanese catalog is filled in.
"""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.events.models import Mode
from app.extensions import db
from app.registration.models import Registration
from tests.conftest import PASSWORD, create_user
from tests.registration.factories import make_series


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_register_on_a_phone_then_switch_a_session(phone, app, world):
    with app.app_context():
        create_user("matsue@example.jp", prefecture="32")  # lives in the region: venue first
        series = make_series(
            world["org"],
            title="しまね関係人口ゼミ 2026",
            prefecture="32",
            sessions=[("hybrid", 40, 200), ("hybrid", 40, 200)],
        )
        s1, s2 = (s.id for s in series.sessions)

    phone.goto("/login")
    phone.locator("#email").fill("matsue@example.jp")
    phone.locator("#password").fill(PASSWORD)
    phone.locator("main button[type=submit]").click()

    phone.goto("/series")
    assert no_horizontal_scroll(phone)
    phone.get_by_role("link", name="しまね関係人口ゼミ 2026").click()
    assert no_horizontal_scroll(phone)
    phone.get_by_test_id("register").click()

    expect(phone.locator(f"input[name=mode_{s1}][value=venue]")).to_be_checked()
    assert no_horizontal_scroll(phone)
    phone.locator(f"input[name=mode_{s2}][value=online]").check()
    phone.locator("#consent").check()
    phone.get_by_test_id("submit-registration").click()

    expect(phone.locator("[data-outcome=confirmed]")).to_be_visible()
    assert no_horizontal_scroll(phone)
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert [p.mode for p in registration.places] == [Mode.venue, Mode.online]
        detail = f"/registrations/{registration.id}"

    phone.locator(f"main a[href='{detail}']").first.click()
    expect(phone).to_have_url(re.compile(rf"{detail}$"))
    phone.get_by_test_id(f"switch-{s1}").click()
    expect(phone.locator(".flash-success")).to_contain_text("第1回")
    assert no_horizontal_scroll(phone)
    with app.app_context():
        db.session.expire_all()
        registration = db.session.scalar(select(Registration))
        assert [p.mode for p in registration.places] == [Mode.online, Mode.online]
    assert phone.console_errors == []  # e.g. no Content-Security-Policy violations
