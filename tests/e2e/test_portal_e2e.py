"""The portal on a phone (390×844), by clicking only: from the home page to the search, a
programme found by prefecture (the list by 地方) and by keyword, its organisation's page, then
registering from it. Screenshots per step in test-results/journeys/test_portal_e2e/."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.journeys import LAPTOP, PHONE, Journey
from tests.registration.factories import make_series


@pytest.fixture
def programmes(app, world):
    with app.app_context():
        make_series(
            world["org"],
            title="出雲の古民家再生ワークショップ",
            prefecture="32",
            municipality="出雲市",
            description="古民家を地域の人と直す三回の講座です。",
            sessions=[("venue", 10, None)],
            theme="culture",
        )
        make_series(
            world["other_org"],
            title="北海道の農業オンライン講座",
            prefecture="01",
            sessions=[("online", None, 30)],
            theme="food",
        )


def test_a_person_on_a_phone_finds_a_programme_by_prefecture_and_keyword_and_registers(
    app, browser, live_server, programmes, world
):
    context = browser.new_context(**PHONE, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, "test_portal_e2e")
    try:
        page.goto("/")
        journey.step("home")
        page.get_by_role("main").get_by_role("link", name="連続講座を探す").click()
        expect(page.get_by_role("heading", name="かかわり方をさがす", level=1)).to_be_visible()
        journey.step("portal")

        # By prefecture: the list by 地方.
        regions = page.get_by_role("region", name="地方から探す")
        regions.get_by_role("link", name="島根県", exact=True).click()
        expect(page.get_by_role("heading", name="島根県のプログラム")).to_be_visible()
        expect(page.get_by_role("link", name="出雲の古民家再生ワークショップ")).to_be_visible()
        expect(page.get_by_text("北海道の農業オンライン講座")).to_have_count(0)
        journey.step("prefecture")

        # By keyword, back on the search.
        page.get_by_role("link", name="← かかわり方をさがす").click()
        page.get_by_label("キーワード").fill("古民家")
        page.get_by_role("button", name="検索").click()
        expect(page.get_by_text("1件見つかりました")).to_be_visible()
        expect(page.get_by_text("北海道の農業オンライン講座")).to_have_count(0)
        journey.step("keyword")

        page.get_by_role("link", name="出雲の古民家再生ワークショップ").click()
        expect(page.get_by_role("heading", name="出雲の古民家再生ワークショップ")).to_be_visible()
        journey.step("series")
        page.get_by_role("link", name="しまね関係人口ラボ").click()
        expect(page.get_by_role("heading", name="しまね関係人口ラボ", level=1)).to_be_visible()
        journey.step("organisation")
        page.get_by_role("link", name="出雲の古民家再生ワークショップ").click()

        # Register: the login page first, then the form.
        page.get_by_role("link", name="申し込む", exact=True).click()
        main = page.get_by_role("main")
        main.get_by_label("メールアドレス").fill(world["emails"]["participant"])
        main.get_by_label("パスワード").fill(PASSWORD)
        main.get_by_role("button", name="ログイン").click()
        expect(page.get_by_test_id("submit-registration")).to_be_visible()
        journey.step("register-form")
        page.get_by_label("プライバシーポリシーに同意").check()
        page.get_by_role("button", name="申し込む").click()
        expect(page.locator("[data-outcome=confirmed]")).to_be_visible()
        journey.step("confirmation")
    finally:
        context.close()


def test_the_portal_on_a_laptop_filters_without_javascript(browser, live_server, programmes):
    context = browser.new_context(
        **LAPTOP, locale="ja-JP", base_url=live_server, java_script_enabled=False
    )
    page = context.new_page()
    journey = Journey(page, "test_portal_e2e_laptop")
    try:
        page.goto("/")
        page.get_by_role("main").get_by_role("link", name="連続講座を探す").click()
        page.get_by_label("都道府県").select_option(label="北海道")
        page.get_by_label("オンライン参加可").check()
        page.get_by_role("button", name="検索").click()
        expect(page.get_by_role("link", name="北海道の農業オンライン講座")).to_be_visible()
        expect(page.get_by_text("出雲の古民家再生ワークショップ")).to_have_count(0)
        # no axe-core without JavaScript: the screenshot only
        page.screenshot(path=str(journey.folder / "01-filtered.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("size, name", [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_a_person_clicks_a_prefecture_on_the_map_then_filters_by_theme(
    browser, live_server, programmes, size, name
):
    context = browser.new_context(**size, locale="ja-JP", base_url=live_server, bypass_csp=True)
    page = context.new_page()
    journey = Journey(page, f"test_portal_map_{name}")
    try:
        page.goto("/")
        page.get_by_role("main").get_by_role("link", name="連続講座を探す").click()
        tiles = page.get_by_role("region", name="地図から探す")
        expect(
            tiles.get_by_role("link", name=re.compile(r"^沖縄\s*県\s*募集・開催中：\s*0$"))
        ).to_be_visible()
        journey.step("map")
        tiles.get_by_role("link", name=re.compile(r"^島根\s*県\s*募集・開催中：\s*1$")).click()
        expect(page.get_by_role("link", name="出雲の古民家再生ワークショップ")).to_be_visible()
        expect(page.get_by_text("北海道の農業オンライン講座")).to_have_count(0)
        expect(page.get_by_label("都道府県")).to_have_value("32")
        journey.step("map-shimane")

        page.get_by_label("都道府県").select_option(value="")
        page.get_by_label("テーマ").select_option(label="農林水産・食")
        page.get_by_role("button", name="検索").click()
        expect(page.get_by_role("link", name="北海道の農業オンライン講座")).to_be_visible()
        expect(page.get_by_text("出雲の古民家再生ワークショップ")).to_have_count(0)
        journey.step("theme")
        page.get_by_role("link", name="北海道の農業オンライン講座").click()
        expect(page.get_by_test_id("series-theme")).to_have_text("農林水産・食")
        journey.step("series-theme")
    finally:
        context.close()
