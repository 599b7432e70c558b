"""Someone an organiser registered by phone, without an email, later makes their own account:
the organiser reads them a claim code from the participant list, and on their phone they enter
it from 申込一覧; the registration is theirs from then on."""

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.registration import manage_services as manage
from app.registration.models import Registration
from tests.conftest import PASSWORD, create_user
from tests.registration.factories import make_series


def _log_in(page, email):
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()


def test_a_phone_registration_is_taken_over_with_the_organisers_code(
    browser, live_server, phone, app, world
):
    with app.app_context():
        series = make_series(world["org"], title="ふるさとみつけ塾 in 丸森")
        organiser = db.session.get(User, world["organizer"])
        by_phone = manage.add_participant(
            series,
            organiser,
            {"name": "丸森 花", "furigana": "まるもり はな", "prefecture": "04", "relations": []},
            modes={series.sessions[0].id: "venue"},
            consent=True,
        )
        registration_id, series_id = by_phone.id, series.id
        create_user("hana@example.jp", name="丸森 花", prefecture="04")

    desk = browser.new_context(locale="ja-JP", base_url=live_server).new_page()
    _log_in(desk, "organizer@example.jp")
    desk.goto(f"/orgs/{world['org']}/series/{series_id}/participants")
    desk.get_by_test_id(f"claim-code-{registration_id}").click()
    code = desk.get_by_test_id("claim-code").inner_text().strip()
    assert len(code) == 11 and code[5] == "-"

    _log_in(phone, "hana@example.jp")
    phone.goto("/registrations")
    expect(phone.locator("main")).not_to_contain_text("ふるさとみつけ塾")
    phone.get_by_test_id("claim-link").click()
    phone.locator("#code").fill(code.lower())  # as typed on a phone
    phone.get_by_test_id("claim-submit").click()
    expect(phone.locator(".flash-success")).to_contain_text("ふるさとみつけ塾 in 丸森")
    expect(phone.locator("main")).to_contain_text("ふるさとみつけ塾 in 丸森")
    with app.app_context():
        owner = db.session.scalar(
            select(Registration.user_id).where(Registration.id == registration_id)
        )
        assert db.session.get(User, owner).email == "hana@example.jp"
    assert phone.console_errors == []
    desk.context.close()
