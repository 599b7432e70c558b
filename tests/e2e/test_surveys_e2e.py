"""事後アンケート on a phone: a participant opens the personal link from the survey mail in the
outbox, answers, and sees the thank-you page; the organiser goes from the home page to the
results by clicking and sees the answer and the split by how people attended. A screenshot per
step (test-results/journeys/surveys-*), axe on every page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.surveys import services
from app.surveys.models import QuestionType, SurveyResponse
from tests.attendance.helpers import past  # noqa: F401 -- a finished session, one of each
from tests.e2e.test_reminders_e2e import DEVICES, Journey
from tests.surveys.conftest import finished, link_in, mails_to, make_survey  # noqa: F401


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_a_participant_answers_from_the_mail_and_the_organiser_sees_it(
    app,
    world,
    browser,
    live_server,
    finished,  # noqa: F811
    device,
):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        questions = [(q.id, q.kind) for q in survey.questions]
        venue = db.session.get(User, people["venue"])
        venue_name = venue.name
        link = link_in(mails_to(venue.email)[0])

    # the participant, not logged in, on a phone: the mail's link
    context = browser.new_context(
        **DEVICES["phone"], locale="ja-JP", base_url=live_server, bypass_csp=True
    )
    page = context.new_page()
    journey = Journey(page, "surveys-respondent-phone")
    page.goto(link)
    expect(page.get_by_role("heading", name="第1回 事後アンケート")).to_be_visible()
    journey.step("survey-form")
    for qid, kind in questions:
        box = page.get_by_test_id(f"answer-{qid}")
        if kind is QuestionType.scale:
            box.get_by_text("5 とてもそう思う").click()
        elif kind is QuestionType.multiple:
            box.get_by_label("知人").check()
        else:
            box.get_by_role("textbox").fill("現地の方の話が聞けて良かった")
    journey.step("survey-answered")
    page.get_by_role("button", name="回答を送信").click()
    expect(page.get_by_test_id("survey-thanks")).to_have_text("ご回答ありがとうございました！")
    journey.step("thanks")
    page.get_by_role("link", name="回答を変更する").click()
    expect(page.get_by_text("回答済みです。", exact=False)).to_be_visible()
    journey.step("survey-again")
    context.close()
    with app.app_context():
        assert db.session.scalar(select(SurveyResponse.user_id)) == people["venue"]

    # the organiser, from the home page by clicking
    context = browser.new_context(
        **DEVICES[device], locale="ja-JP", base_url=live_server, bypass_csp=True
    )
    page = context.new_page()
    journey = Journey(page, f"surveys-organiser-{device}")
    page.goto("/")
    journey.step("home")
    journey.log_in("organizer@example.jp")
    journey.header_link("主催団体")
    page.get_by_role("link", name="しまね関係人口ラボ").click()
    page.get_by_role("link", name="連続講座・イベント").click()
    page.get_by_role("link", name="しまね関係人口ゼミ 2026").click()
    journey.step("series")
    page.get_by_role("navigation", name="連続講座の管理").get_by_role(
        "link", name="アンケート"
    ).click()
    journey.step("surveys")
    page.get_by_role("link", name="第1回 事後アンケート").click()
    journey.step("survey")
    page.get_by_role("link", name="集計結果").first.click()
    expect(page.get_by_test_id("response-rate")).to_have_text("50%")
    expect(page.get_by_text("現地の方の話が聞けて良かった")).to_be_visible()
    expect(page.get_by_text(venue_name).first).to_be_visible()
    venue_row = page.get_by_test_id("rate-venue")
    expect(venue_row).to_contain_text("100%")
    expect(page.get_by_test_id("rate-online")).to_contain_text("0%")
    first_scale = questions[0][0]
    expect(page.get_by_test_id(f"cell-{first_scale}-4-venue")).to_contain_text("1")
    expect(page.get_by_test_id(f"cell-{first_scale}-4-online")).to_contain_text("0")
    journey.step("results")

    # and builds the next one: from the session's line, the 関係人口 set in one click
    page.get_by_role("link", name="← 第1回 事後アンケート").click()
    page.get_by_role("link", name="← アンケート — しまね関係人口ゼミ 2026").click()
    page.get_by_label("タイトル").fill("講座全体のふりかえり")
    page.get_by_label("対象").select_option(label="講座全体")
    page.get_by_role("button", name="アンケートを作成").click()
    expect(page.get_by_text("アンケートを作成しました。", exact=False)).to_be_visible()
    page.get_by_role("button", name="関係人口セットを追加（5問）").click()
    expect(page.get_by_text("関係人口セットの質問を5問追加しました。")).to_be_visible()
    expect(page.get_by_text("二地域居住・移住を考えていますか")).to_be_visible()
    journey.step("new-survey-with-set")
    context.close()
