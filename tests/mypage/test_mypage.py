"""マイページ: a person's upcoming sessions soonest first, each with what to do next (the live
room from its opening time, the QR ticket for the venue, the waitlist position, change or
cancel), and the sessions that are over folded away with 参加履歴 and the 修了証 at hand."""

import re
from datetime import timedelta

from sqlalchemy import event

from app.accounts.models import User
from app.extensions import db
from app.registration import services as reg
from tests.attendance.test_history import completed_online_series, move
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def page(client, path="/me") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item(html: str, session_id: int) -> str:
    """The list item of one upcoming session."""
    match = re.search(rf'data-testid="upcoming-{session_id}".*?</li>', html, re.S)
    assert match, f"session {session_id} is not listed"
    return match.group(0)


def hybrid_registration(org_id, user, *, title="しまね関係人口ゼミ 2026"):
    """A hybrid session 1 at the venue and an online session 2, both a week or more ahead."""
    series = make_series(org_id, title=title, sessions=[("hybrid", 5, 5), ("online", None, 5)])
    reg.register(series, user, modes={series.sessions[0].id: "venue"}, consent=True)
    db.session.commit()
    return series


def test_my_page_lists_upcoming_sessions_soonest_first_with_the_ticket_and_the_room(
    app, world, client
):
    with app.app_context():
        user = create_user("me@example.jp")
        series = hybrid_registration(world["org"], user)
        s1, s2 = (s.id for s in series.sessions)
        later = make_series(world["org"], title="あとの講座", sessions=[("online", None, 5)])
        move(later.sessions[0], starts_in=timedelta(days=3))
        reg.register(later, user, mode="online", consent=True)
        db.session.commit()
        s0 = later.sessions[0].id
    login(client, "me@example.jp")
    html = page(client)
    order = [int(i) for i in re.findall(r'data-testid="upcoming-(\d+)"', html)]
    assert order == [s0, s1, s2]
    venue = item(html, s1)
    assert "受付用QRコードを表示" in venue and 'href="/registrations/' in venue
    assert re.search(r'href="/registrations/\d+/ticket"', venue)
    online = item(html, s2)
    # A week ahead: the room is not open; the button waits, the opening time is shown.
    assert "視聴ページに入る" in online and "disabled" in online and "から入れます" in online
    assert re.search(rf'<a [^>]*href="/sessions/{s2}/live"[^>]*hidden', online)
    assert "参加方法の変更・キャンセル" in online and f"#place-{s2}" in online


def test_the_room_button_is_a_link_from_the_rooms_opening_time(app, world, client):
    with app.app_context():
        user = create_user("me@example.jp")
        series = make_series(world["org"], sessions=[("online", None, 5)], room_opens_minutes=15)
        session = series.sessions[0]
        reg.register(series, user, mode="online", consent=True)
        move(session, starts_in=timedelta(minutes=20))
        session_id = session.id
    login(client, "me@example.jp")
    before = item(page(client), session_id)
    assert "disabled" in before and 'data-room-opens-in="' in before
    seconds = int(re.search(r'data-room-opens-in="(\d+)"', before).group(1))
    assert 290 <= seconds <= 300  # 5 minutes until the room opens (20 - 15)
    with app.app_context():
        move(db.session.merge(session), starts_in=timedelta(minutes=10))
    opened = item(page(client), session_id)
    assert "disabled" not in opened and "hidden" not in opened
    assert f'href="/sessions/{session_id}/live"' in opened
    assert client.get(f"/sessions/{session_id}/live").status_code == 200  # and it lets them in


def test_a_waiting_place_shows_its_position(app, world, client):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)])
        reg.register(series, create_user("first@example.jp"), consent=True)
        reg.register(series, create_user("me@example.jp"), consent=True)
        db.session.commit()
        session_id = series.sessions[0].id
    login(client, "me@example.jp")
    waiting = item(page(client), session_id)
    assert "キャンセル待ち1番目です" in waiting
    assert "受付用QRコード" not in waiting and "視聴ページ" not in waiting


def test_sessions_that_are_over_fold_away_with_history_and_certificate_at_hand(app, world, client):
    with app.app_context():
        user = create_user("me@example.jp")
        done = completed_online_series(world["org"], user, title="修了した講座")
        hybrid_registration(world["org"], user)
        done_id, past_ids = done.id, [s.id for s in done.sessions]
    login(client, "me@example.jp")
    html = page(client)
    upcoming, _, rest = html.partition('id="mypage-past"')
    assert "修了した講座" not in upcoming.split('id="mypage-certificates"')[0]
    assert f'action="/me/certificates/{done_id}.pdf"' in html  # a POST: it issues it
    assert 'href="/me/history"' in rest
    folded = re.search(r"<details.*?</details>", rest, re.S).group(0)
    assert "修了した講座" in folded and "終了" in folded
    for session_id in past_ids:
        assert f'data-testid="upcoming-{session_id}"' not in html
    assert post_form(client, f"/me/certificates/{done_id}.pdf").status_code == 200


def test_home_is_my_page_once_logged_in_and_the_header_links_it(app, world, client):
    with app.app_context():
        create_user("me@example.jp", name="東京 太郎")
    assert "これからの予定" not in page(client, "/") and "今後の回" not in page(client, "/")
    login(client, "me@example.jp")
    home = page(client, "/")
    assert "マイページ" in home and "東京 太郎" in home and "今後の回" in home
    assert '<a href="/me">マイページ</a>' in home


def test_my_page_takes_a_fixed_number_of_queries(app, world, client):
    with app.app_context():
        user = create_user("me@example.jp")
        hybrid_registration(world["org"], user)
        completed_online_series(world["org"], user, title="修了 0")
        engine, user_id = db.engine, user.id
    login(client, "me@example.jp")
    statements = []

    def count(*_args):
        statements.append(1)

    counts = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for extra in range(3):
            if extra:
                with app.app_context():
                    person = db.session.get(User, user_id)
                    hybrid_registration(world["org"], person, title=f"講座 {extra}")
                    completed_online_series(world["org"], person, title=f"修了 {extra}")
            page(client)  # the first request after a change brings attendance up to date
            statements.clear()
            page(client)
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] == counts[2] <= 25, counts
