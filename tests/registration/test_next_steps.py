"""The same buttons everywhere a person looks: the live room for an online place, the QR ticket
for a venue place, on the confirmation, the registration page, 申込一覧 and the session page;
every mail links straight to them; no ticket for a registration that is online only; 申込一覧
soonest first; the login page reached from 申し込む says why."""

import re
from datetime import timedelta

from app.events import services as events
from app.events.models import Session
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration
from tests.accounts.test_signup import GOOD
from tests.attendance.test_history import move
from tests.conftest import PASSWORD, create_user, login, post_form
from tests.registration.factories import make_series


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def pngs(mail) -> list:
    return [p for p in mail.iter_attachments() if p.get_content_type() == "image/png"]


def hybrid(org_id, email, modes_of):
    """A hybrid session 1 and an online session 2; the person registered with the modes
    modes_of(s1, s2) gives. Returns (registration id, s1 id, s2 id)."""
    series = make_series(org_id, sessions=[("hybrid", 5, 5), ("online", None, 5)])
    s1, s2 = series.sessions
    registration = reg.register(
        series, create_user(email), modes=modes_of(s1.id, s2.id), consent=True
    )
    db.session.commit()
    return registration.id, s1.id, s2.id


def test_every_page_of_a_registration_carries_the_ticket_and_the_room_buttons(app, world, client):
    with app.app_context():
        rid, s1, s2 = hybrid(world["org"], "me@example.jp", lambda a, b: {a: "venue"})
    login(client, "me@example.jp")
    ticket = f'href="/registrations/{rid}/ticket"'
    room = f'href="/sessions/{s2}/live"'
    for path in (f"/registrations/{rid}/confirmation", f"/registrations/{rid}", "/registrations"):
        page = html(client.get(path))
        assert ticket in page and "受付用QRコードを表示" in page, path
        assert room in page and "視聴ページに入る" in page, path
    venue_session = html(client.get(f"/sessions/{s1}"))
    assert ticket in venue_session and room not in venue_session
    assert client.get(f"/api/v1/registrations/{rid}/ticket.png").status_code == 200
    # The ticket lists the venue session; the online one is reached by its room button.
    ticket_page = html(client.get(f"/registrations/{rid}/ticket"))
    on_ticket = re.search(r'<ul class="list ticket-sessions">.*?</ul>', ticket_page, re.S).group(0)
    assert "第1回" in on_ticket and "第2回" not in on_ticket
    assert room in ticket_page.split("ticket-online", 1)[1]
    online_session = html(client.get(f"/sessions/{s2}"))
    assert room in online_session and ticket not in online_session
    assert "参加方法の変更・キャンセル" in online_session


def test_an_online_only_registration_has_no_ticket_but_the_room(app, world, client, smtp):
    with app.app_context():
        rid, s1, s2 = hybrid(world["org"], "me@example.jp", lambda a, b: {a: "online"})
    (mail,) = smtp
    assert not pngs(mail)  # nothing to show at a door
    text = body(mail)
    assert f"/sessions/{s1}/live" in text and f"/sessions/{s2}/live" in text
    assert "/ticket" not in text
    login(client, "me@example.jp")
    for path in (f"/registrations/{rid}/confirmation", f"/registrations/{rid}", "/registrations"):
        page = html(client.get(path))
        assert "/ticket" not in page and "受付用QRコード" not in page, path
    page = html(client.get(f"/registrations/{rid}/ticket"))
    assert "QRコードは不要です" in page and f'href="/sessions/{s1}/live"' in page
    assert "ticket.png" not in page
    assert client.get(f"/registrations/{rid}/ticket.png").status_code == 404
    assert client.get(f"/api/v1/registrations/{rid}/ticket.png").status_code == 404


def test_a_venue_registration_gets_its_ticket_by_mail_and_the_mail_links_it(app, world, smtp):
    with app.app_context():
        rid, s1, s2 = hybrid(world["org"], "me@example.jp", lambda a, b: {a: "venue"})
    (mail,) = smtp
    assert len(pngs(mail)) == 1
    text = body(mail)
    assert f"受付用QRコード: http://localhost/registrations/{rid}/ticket" in text
    assert f"http://localhost/sessions/{s2}/live" in text and "開場" in text
    assert f"http://localhost/sessions/{s1}\r\n" not in text  # not the session page any more


def test_switching_mode_mails_the_new_link(app, world, client, smtp):
    with app.app_context():
        rid, s1, _s2 = hybrid(world["org"], "me@example.jp", lambda a, b: {a: "venue"})
    smtp.clear()
    login(client, "me@example.jp")
    post_form(
        client,
        f"/registrations/{rid}/sessions/{s1}/mode",
        {"mode": "online"},
        token_from=f"/registrations/{rid}",
    )
    (mail,) = smtp
    assert mail["Subject"].startswith("参加方法を変更しました")
    assert f"/sessions/{s1}/live" in body(mail) and not pngs(mail)  # online only now


def test_a_moved_session_and_a_promotion_mail_link_the_room_or_the_ticket(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 1, 5)])
        session = series.sessions[0]
        online = reg.register(series, create_user("online@example.jp"), mode="online", consent=True)
        first = reg.register(series, create_user("first@example.jp"), mode="venue", consent=True)
        waiting = reg.register(series, create_user("wait@example.jp"), mode="venue", consent=True)
        db.session.commit()
        ids = online.id, first.id, waiting.id
        smtp.clear()
        later = session.starts_at + timedelta(days=1)
        events.update_session(
            session, None, {"starts_at": later, "ends_at": later + timedelta(hours=2)}
        )
        db.session.commit()
        session_id = session.id
    by_to = {m["To"]: body(m) for m in smtp}
    assert f"/sessions/{session_id}/live" in by_to["online@example.jp"]
    assert f"/registrations/{ids[1]}/ticket" in by_to["first@example.jp"]
    assert "/ticket" not in by_to["wait@example.jp"] and "/live" not in by_to["wait@example.jp"]
    smtp.clear()
    with app.app_context():
        reg.cancel(db.session.get(Registration, ids[1]))
    (promoted,) = [m for m in smtp if m["To"] == "wait@example.jp"]
    assert f"/registrations/{ids[2]}/ticket" in body(promoted) and len(pngs(promoted)) == 1


def test_my_registrations_are_in_the_order_of_their_next_session(app, world, client):
    with app.app_context():
        user = create_user("me@example.jp")
        titles = ["遠い講座", "終わった講座", "近い講座"]
        starts = [timedelta(days=30), timedelta(days=-10), timedelta(days=2)]
        for title, start in zip(titles, starts, strict=True):
            series = make_series(world["org"], title=title, sessions=[("online", None, 5)])
            reg.register(series, user, mode="online", consent=True)
            move(series.sessions[0], starts_in=start)
    login(client, "me@example.jp")
    page = html(client.get("/registrations"))
    found = re.findall(r"(遠い講座|終わった講座|近い講座)</a></h2>", page)
    assert found == ["近い講座", "遠い講座", "終わった講座"]


def test_the_login_page_reached_from_register_says_why_and_sign_up_keeps_next(app, world, client):
    with app.app_context():
        series_id = make_series(world["org"]).id
    register = f"/series/{series_id}/register"
    location = client.get(register).headers["Location"]
    page = html(client.get(location))
    assert "申し込むにはログインしてください" in page
    assert f'href="/signup?next={register}"' in page.replace("%2F", "/")
    signup = html(client.get(f"/signup?next={register}"))
    assert f'href="/login?next={register}"' in signup.replace("%2F", "/")
    # Other reasons to log in, or a next elsewhere, get no such message.
    for path in (
        "/login",
        "/login?next=/orgs",
        "/login?next=https://evil.example/series/1/register",
    ):
        assert "申し込むには" not in html(client.get(path)), path
    # Signing up from there leads back to the form too.
    signed_up = post_form(app.test_client(), f"/signup?next={register}", GOOD, token_from="/signup")
    assert signed_up.headers["Location"].endswith(register)
    # Logging in does the same.
    with app.app_context():
        create_user("me@example.jp")
    response = post_form(
        client,
        location,
        {"email": "me@example.jp", "password": PASSWORD},
        token_from=location,
    )
    assert response.headers["Location"].endswith(register)


def test_a_session_cancelled_by_the_organiser_shows_no_button(app, world, client):
    with app.app_context():
        rid, _s1, s2 = hybrid(world["org"], "me@example.jp", lambda a, b: {a: "venue"})
        events.cancel_session(db.session.get(Session, s2), None)
        db.session.commit()
    login(client, "me@example.jp")
    page = html(client.get(f"/registrations/{rid}"))
    assert f'href="/sessions/{s2}/live"' not in page
    assert f'href="/registrations/{rid}/ticket"' in page
