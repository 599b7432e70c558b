"""Emails to participants, received by a real SMTP server, with their calendar files parsed."""

import logging
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import event, select

from app.accounts.models import User
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series, Session
from app.extensions import db
from app.mail.models import MailStatus, OutgoingMail
from app.registration import services as reg
from app.registration.models import Registration, RegistrationStatus
from tests.conftest import create_user, free_port, login, post_form
from tests.registration.factories import make_series


def person(email, locale="en"):
    return create_user(email, locale=locale)


def calendar_of(message) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(part.get_content())
    assert part.get_param("method") == str(cal["METHOD"])
    return cal


def only_event(message):
    (vevent,) = calendar_of(message).walk("VEVENT")
    return vevent


def mails_to(smtp, email):
    return [m for m in smtp if m["To"] == email]


@pytest.fixture(autouse=True)
def _no_stream_url_in_any_mail(smtp):
    yield
    for message in smtp:
        assert "youtube" not in message.as_string()


def test_confirmation_in_the_persons_language_with_an_invitation(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5), ("online", None, 5)])
        series_id = series.id
        s1, s2 = series.sessions
        ids = s1.id, s2.id
        uids = {s1.ical_uid, s2.ical_uid}
        person("en@example.jp")
        person("ja@example.jp", locale="ja")
    client = app.test_client()
    login(client, "en@example.jp")
    post_form(client, f"/series/{series_id}/register", {f"mode_{ids[0]}": "venue", "consent": "y"})
    (mail,) = smtp
    assert mail["To"] == "en@example.jp"
    assert mail["Subject"] == "Registration confirmed: しまね関係人口ゼミ 2026"
    body = mail.get_body(("plain",)).get_content()
    assert body.startswith("Dear 山田 花子,")
    assert "at the venue — confirmed" in body and "松江市市民活動センター" in body
    # Straight to what each session needs: the ticket for the venue, the room for online.
    assert "Your QR ticket for reception: http://localhost/registrations/" in body
    assert f"): http://localhost/sessions/{ids[1]}/live" in body and "Live room (opens" in body
    assert "/registrations/" in body and "年" not in body  # English dates
    cal = calendar_of(mail)
    assert cal["METHOD"] == "REQUEST" and cal["X-WR-TIMEZONE"] == "Asia/Tokyo"
    found = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(found) == uids
    for vevent in found.values():
        assert vevent["SEQUENCE"] == 0 and str(vevent["STATUS"]) == "CONFIRMED"
        assert str(vevent["ATTENDEE"]) == "mailto:en@example.jp"
        assert str(vevent["ORGANIZER"]) == "mailto:no-reply@kakawari.local"

    japanese = app.test_client()
    login(japanese, "ja@example.jp")
    post_form(
        japanese, f"/series/{series_id}/register", {f"mode_{ids[0]}": "online", "consent": "y"}
    )
    (mail,) = mails_to(smtp, "ja@example.jp")
    assert "年" in mail.get_body(("plain",)).get_content()  # 2026年12月4日(金) 14:04〜16:04


def test_waitlisted_and_lottery_applications_are_told_so(app, world, smtp):
    with app.app_context():
        full = make_series(world["org"], sessions=[("venue", 1, None)])
        reg.register(full, person("a@example.jp"), consent=True)
        reg.register(full, person("b@example.jp"), consent=True)
        lottery = make_series(world["org"], title="抽選講座", selection="lottery")
        reg.register(lottery, person("c@example.jp"), mode="venue", consent=True)
    (waiting,) = mails_to(smtp, "b@example.jp")
    assert waiting["Subject"] == "You are on the waitlist: しまね関係人口ゼミ 2026"
    assert "waitlist number 1" in waiting.get_body(("plain",)).get_content()
    assert str(only_event(waiting)["STATUS"]) == "TENTATIVE"
    (applied,) = mails_to(smtp, "c@example.jp")
    assert applied["Subject"] == "Application received: 抽選講座"
    assert "lottery pending" in applied.get_body(("plain",)).get_content()
    assert str(only_event(applied)["STATUS"]) == "TENTATIVE"


def test_lottery_results_are_mailed_when_cron_draws(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], selection="lottery", sessions=[("venue", 2, None)])
        for i in range(5):
            reg.register(series, person(f"l{i}@example.jp"), consent=True)
        series.registration_closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    smtp.clear()
    result = app.test_cli_runner().invoke(args=["registration", "draw"])  # no request here
    assert result.exit_code == 0, result.output
    assert len(smtp) == 5
    won = [m for m in smtp if m["Subject"].startswith("Lottery result: you have a place")]
    assert len(won) == 2
    for mail in won:
        assert str(only_event(mail)["STATUS"]) == "CONFIRMED"
    for mail in set(smtp) - set(won):
        body = mail.get_body(("plain",)).get_content()
        assert "not drawn" in body and "waitlist number" in body
        assert "http://localhost/registrations/" in body


def test_a_cancellation_promotes_and_tells_the_next_person(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None), ("venue", 9, None)])
        s1 = series.sessions[0]
        first = reg.register(series, person("first@example.jp"), consent=True)
        reg.register(series, person("next@example.jp"), consent=True)
        series_id, rid, sid, uid = series.id, first.id, s1.id, s1.ical_uid
    smtp.clear()
    client = app.test_client()
    login(client, "first@example.jp")
    post_form(client, f"/registrations/{rid}/sessions/{sid}/cancel")
    (promoted,) = mails_to(smtp, "next@example.jp")
    assert promoted["Subject"] == "You have a place: しまね関係人口ゼミ 2026"
    assert "第1回" in promoted.get_body(("plain",)).get_content()
    vevent = only_event(promoted)
    assert str(vevent["UID"]) == uid and str(vevent["STATUS"]) == "CONFIRMED"
    assert calendar_of(promoted)["METHOD"] == "REQUEST"
    (cancelled,) = mails_to(smtp, "first@example.jp")
    assert cancelled["Subject"] == "Cancellation confirmed: しまね関係人口ゼミ 2026"
    assert calendar_of(cancelled)["METHOD"] == "CANCEL"
    vevent = only_event(cancelled)  # only the session cancelled now
    assert str(vevent["UID"]) == uid and str(vevent["STATUS"]) == "CANCELLED"
    with app.app_context():
        assert db.session.get(Registration, rid).status is RegistrationStatus.confirmed
        assert series_id


def test_a_moved_session_updates_the_calendar_entry(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 1, 5), ("venue", 5, None)])
        reg.register(series, person("venue@example.jp"), mode="venue", consent=True)
        reg.register(series, person("online@example.jp"), mode="online", consent=True)
        reg.register(series, person("waiting@example.jp"), mode="venue", consent=True)
        session = series.sessions[0]
        uid, start = session.ical_uid, session.starts_at
        smtp.clear()
        later = start + timedelta(days=1)
        events.update_session(
            session, None, {"starts_at": later, "ends_at": later + timedelta(hours=3)}
        )
        db.session.commit()
    assert sorted(m["To"] for m in smtp) == [
        "online@example.jp",
        "venue@example.jp",
        "waiting@example.jp",
    ]
    for mail in smtp:
        assert mail["Subject"] == "Changed: しまね関係人口ゼミ 2026 第1回"
        assert "The time has changed." in mail.get_body(("plain",)).get_content()
        assert calendar_of(mail)["METHOD"] == "REQUEST"
        vevent = only_event(mail)
        assert str(vevent["UID"]) == uid and vevent["SEQUENCE"] == 1
        assert vevent.decoded("DTSTART") == later.replace(microsecond=0)
    (waiting,) = mails_to(smtp, "waiting@example.jp")
    assert str(only_event(waiting)["STATUS"]) == "TENTATIVE"
    smtp.clear()
    with app.app_context():
        events.update_session(
            db.session.get(Session, session.id), None, {"venue_name": "雲南市民会館"}
        )
        db.session.commit()
    assert len(smtp) == 3
    assert all(only_event(m)["SEQUENCE"] == 2 for m in smtp)
    assert "The venue or the format has changed." in smtp[0].get_body(("plain",)).get_content()


def test_a_cancelled_session_is_cancelled_in_calendars(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 5, None)] * 2)
        reg.register(series, person("x@example.jp"), consent=True)
        reg.register(series, person("y@example.jp"), consent=True)
        session = series.sessions[1]
        uid = session.ical_uid
        smtp.clear()
        events.cancel_session(session, None)
        db.session.commit()
    assert sorted(m["To"] for m in smtp) == ["x@example.jp", "y@example.jp"]
    for mail in smtp:
        assert mail["Subject"] == "Cancelled: しまね関係人口ゼミ 2026 第2回"
        assert calendar_of(mail)["METHOD"] == "CANCEL"
        vevent = only_event(mail)
        assert str(vevent["UID"]) == uid and vevent["SEQUENCE"] == 1
        assert str(vevent["STATUS"]) == "CANCELLED"


def test_a_cancelled_series_is_one_mail_per_person(app, world, smtp):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 5, None)] * 3)
        reg.register(series, person("x@example.jp"), consent=True)
        smtp.clear()
        events.cancel_series(db.session.get(Series, series.id), None)
        db.session.commit()
    (mail,) = smtp
    assert mail["Subject"] == "Cancelled: しまね関係人口ゼミ 2026"
    cal = calendar_of(mail)
    assert cal["METHOD"] == "CANCEL"
    assert [str(e["STATUS"]) for e in cal.walk("VEVENT")] == ["CANCELLED"] * 3


def test_a_mail_server_that_is_down_does_not_break_registering(app, world, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    logging.getLogger("kakawari.mail").disabled = False
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)])
        user_id = person("down@example.jp").id
        series_id = series.id
    client = app.test_client()
    login(client, "down@example.jp")
    with caplog.at_level(logging.WARNING, logger="kakawari.mail"):
        response = post_form(client, f"/series/{series_id}/register", {"consent": "y"})
    assert response.status_code == 302 and "/confirmation" in response.headers["Location"]
    assert "retrying" in caplog.text  # the mail waits in the queue for the server
    with app.app_context():
        (mail,) = db.session.scalars(select(OutgoingMail)).all()
        assert mail.status is MailStatus.queued and mail.recipient == "down@example.jp"
        registration = db.session.scalar(
            select(Registration).where(Registration.user_id == user_id)
        )
        assert registration.status is RegistrationStatus.confirmed
        # and a later change (here, a cancellation that promotes nobody) works as well
        outcome = reg.cancel(registration)
        assert outcome.registration.status is RegistrationStatus.cancelled


def test_telling_everyone_of_a_change_takes_a_constant_number_of_queries(app, world, monkeypatch):
    """The mails are only queued here (a worker sends them), so only writing them counts."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 100, 100)])
        session_id = series.sessions[0].id
        engine = db.engine

    def queries_to_move(people):
        with app.app_context():
            series_row = db.session.get(Series, series.id)
            for i in range(people):
                reg.register(
                    series_row, person(f"q{people}-{i}@example.jp"), mode="venue", consent=True
                )
            session = db.session.get(Session, session_id)
            later = session.starts_at + timedelta(minutes=people)
            seen = []
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                events.update_session(
                    session, None, {"starts_at": later, "ends_at": later + timedelta(hours=2)}
                )
                db.session.commit()
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            return len(seen)

    assert queries_to_move(2) == queries_to_move(8)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) >= 10
