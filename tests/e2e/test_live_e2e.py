"""Two online participants on phones in one live room: a chat message sent on one appears on
the other, an HTML payload shows as the text that was typed, and a phone that lost its
connection catches up when it is back."""

import re
from datetime import timedelta

import pytest
from flask import session as flask_session
from flask_login import login_user
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_org, create_user
from tests.registration.factories import make_series

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def open_room(app):
    """A hybrid session starting in 5 minutes (its room is open) with two people online."""
    with app.app_context():
        org = create_org(organizer=create_user("organizer@example.jp"))
        series = make_series(org.id, sessions=[("hybrid", 5, 5)])
        session = series.sessions[0]
        session.stream_url = "https://meet.jit.si/kakawari-e2e"  # a link: nothing to fetch
        for email, name in (("misaki@example.jp", "佐藤 美咲"), ("kenta@example.jp", "田中 健太")):
            reg.register(series, create_user(email, name=name), mode="online", consent=True)
        session.starts_at = utcnow() + timedelta(minutes=5)
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
        return session.id


def session_cookie(app, email) -> str:
    """A logged-in session cookie, made the way the login page makes it (without spending
    seconds on password hashing for every page)."""
    with app.test_request_context():
        login_user(db.session.scalar(select(User).where(User.email == email)))
        return app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))


def phones(app, browser, live_server, *emails):
    """One logged-in 360 px phone per person, watching for script errors and dialogs."""
    pages = []
    for email in emails:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="ja-JP", base_url=live_server
        )
        name = app.config["SESSION_COOKIE_NAME"]
        value = session_cookie(app, email)
        context.add_cookies([{"name": name, "value": value, "url": live_server}])
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m, p=page: m.type == "error" and p.problems.append(m.text))
        page.on("dialog", lambda d, p=page: (p.problems.append(d.message), d.dismiss()))
        pages.append(page)
    return pages


def test_a_chat_message_reaches_the_other_phone_as_plain_text(app, browser, live_server, open_room):
    misaki, kenta = phones(app, browser, live_server, "misaki@example.jp", "kenta@example.jp")
    for page in (misaki, kenta):
        page.goto(f"/sessions/{open_room}/live")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
        expect(page.locator(".live-join")).to_have_attribute("target", "_blank")

    misaki.locator("#chat-text").fill("こんにちは、東京から参加しています")
    misaki.locator("#chat-text").press("Enter")
    received = kenta.locator("#chat-list .live-msg")
    expect(received.last.locator(".live-text")).to_have_text("こんにちは、東京から参加しています")
    expect(received.last.locator(".live-who")).to_have_text("佐藤 美咲")
    expect(misaki.locator("#chat-text")).to_have_value("")

    misaki.locator("#chat-text").fill(XSS)
    misaki.locator("#chat-form button[type=submit]").click()
    expect(received.last.locator(".live-text")).to_have_text(XSS)
    expect(misaki.locator("#chat-list .live-msg").last.locator(".live-text")).to_have_text(XSS)
    # Back from a dropped connection, the room is redrawn from the state `join` returns.
    kenta.context.set_offline(True)
    expect(kenta.locator("#live-status")).to_have_attribute("data-state", "offline")
    misaki.locator("#chat-text").fill("いま再開しました")
    misaki.locator("#chat-text").press("Enter")
    expect(misaki.locator("#chat-list .live-msg")).to_have_count(3)
    kenta.context.set_offline(False)  # the next try comes with backoff: up to seconds later
    expect(kenta.locator("#live-status")).to_have_attribute(
        "data-state", "connected", timeout=20_000
    )
    expect(received.last.locator(".live-text")).to_have_text("いま再開しました")
    kenta.problems = [p for p in kenta.problems if "ERR_INTERNET_DISCONNECTED" not in p]

    # Too many messages at once: the refused ones are not shown as sent, and the person is told
    # why, in Japanese.
    for i in range(6):
        misaki.locator("#chat-text").fill(f"連投 {i}")
        misaki.locator("#chat-text").press("Enter")
    toast = misaki.locator("#live-toast")
    expect(toast).to_have_text("送信の間隔が短すぎます。数秒待ってから送信してください。")
    expect(received.last.locator(".live-text")).to_have_text(re.compile("連投"))
    assert misaki.locator("#chat-list .live-text", has_text="連投").count() < 6

    for page in (misaki, kenta):
        assert page.locator("#chat-list img").count() == 0
        expect(page.locator("#live-people-count")).to_have_text("(2)")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.problems == []  # no alert(), no CSP violation, no script error
    misaki.context.close()
    kenta.context.close()


def test_questions_polls_and_the_announcement_reach_every_phone(
    app, browser, live_server, open_room
):
    """The Q&A, poll and announcement parts of the room, between an organiser and two people:
    a question asked on one phone is upvoted on another and marked answered by the organiser;
    a poll the organiser opens is answered and its results reach the organiser; a pinned
    announcement shows on every phone and goes when cleared."""
    app.extensions["live_socket"].rate_storage.reset()  # the chat test spent misaki's budget
    organizer, misaki, kenta = phones(
        app, browser, live_server, "organizer@example.jp", "misaki@example.jp", "kenta@example.jp"
    )
    for page in (organizer, misaki, kenta):
        page.goto(f"/sessions/{open_room}/live")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")

    # Q&A: the tab says something new arrived; the keyboard moves between tabs
    misaki.locator("#tab-qa").click()
    misaki.locator("#ask-text").fill("資料は後で共有されますか？")
    misaki.locator("#ask-form button[type=submit]").click()
    expect(kenta.locator("#tab-qa .live-unread")).to_have_text("1")
    kenta.locator("#tab-chat").focus()
    kenta.keyboard.press("ArrowRight")
    expect(kenta.locator("#tab-qa")).to_have_attribute("aria-selected", "true")
    expect(kenta.locator("#tab-qa .live-unread")).to_be_hidden()
    question = kenta.locator("#question-list .live-question")
    expect(question.locator(".live-text")).to_have_text("資料は後で共有されますか？")
    question.locator(".live-vote").click()
    expect(question.locator(".live-vote")).to_have_attribute("aria-pressed", "true")
    expect(misaki.locator("#question-list .live-votes")).to_have_text("1")
    organizer.locator("#tab-qa").click()
    organizer.locator('#question-list [data-action="answered"]').click()
    expect(misaki.locator("#question-list .live-answered")).to_be_visible()

    # a poll: drafted and opened by the organiser, answered by both, results to the organiser
    organizer.locator("#tab-polls").click()
    organizer.locator("#panel-polls summary").click()
    organizer.locator("#poll-question").fill("どこから参加していますか？")
    organizer.locator("#poll-options").fill("島根県内\n県外")
    organizer.locator("#poll-form button[type=submit]").click()
    card = organizer.locator("#poll-list .live-poll")
    expect(card.locator(".live-poll-question")).to_have_text("どこから参加していますか？")
    assert misaki.locator("#poll-list .live-poll").count() == 0  # a draft is the organisers'
    card.locator('[data-action="poll-open"]').click()
    expect(misaki.locator("#tab-polls .live-unread")).to_have_text("1")
    for page, choice in ((misaki, "県外"), (kenta, "県外")):
        page.locator("#tab-polls").click()
        page.locator("#poll-list .live-option", has_text=choice).locator("input").check()
        page.locator("#poll-list .live-poll-submit").click()
        expect(page.locator("#live-toast")).to_be_visible()
    outside = card.locator(".live-option", has_text="県外")
    expect(outside.locator(".live-option-count")).to_have_text("2 (100%)")

    # the announcement: pinned over the room on every phone, then cleared
    organizer.locator("summary", has_text="固定のお知らせ").click()
    organizer.locator("#announce-text").fill("14:10 に再開します")
    organizer.locator("#announce-form button[type=submit]").click()
    for page in (organizer, misaki, kenta):
        expect(page.locator("#live-announcement-text")).to_have_text("14:10 に再開します")
    organizer.locator("#announce-clear").click()
    expect(kenta.locator("#live-announcement")).to_be_hidden()

    for page in (organizer, misaki, kenta):
        assert page.problems == []  # no alert(), no CSP violation, no script error
        page.context.close()
