"""Reminders: the day before and an hour before, to confirmed people only, once each, read back
from a real SMTP server (links, ticket, calendar entry, language)."""

import signal
import time as clock
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.timefmt import TOKYO
from app.events import services as events
from app.extensions import db
from app.mail import queue
from app.mail.delivery import ThreadDrainer
from app.mail.models import OutgoingMail
from app.orgs.models import Organization
from app.registration import reminders
from app.registration import services as reg
from app.registration.models import Reminder, ReminderKind
from app.registration.reminders import day_before_moment, queue_due_reminders
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.registration.reminder_race import Rendezvous, race

MINUTE = timedelta(minutes=1)


def send(now):
    """One pass at `now`, committed as its edges commit; how many of each kind."""
    queued = queue_due_reminders(now)
    db.session.commit()
    return queued[ReminderKind.day_before], queued[ReminderKind.hour_before]


def day_before(session):
    return day_before_moment(session.starts_at, 18 * 60)


def hour_before(session):
    return session.starts_at - timedelta(hours=1)


def setup_hybrid(world, *, venue=2, online=5, **fields):
    """A hybrid session: a person at the venue, one online (both confirmed)."""
    series = make_series(world["org"], sessions=[("hybrid", venue, online)], **fields)
    at_venue = create_user("venue@example.jp")
    online_person = create_user("online@example.jp")
    reg.register(series, at_venue, mode="venue", consent=True)
    reg.register(series, online_person, mode="online", consent=True)
    return series, series.sessions[0]


def user_id(email):
    return db.session.scalar(select(User.id).where(User.email == email))


def attachments(message) -> dict:
    return {part.get_filename(): part for part in message.iter_attachments()}


def test_the_day_before_reminder_goes_out_at_six_in_the_evening_japan_time():
    start = datetime(2026, 8, 24, 13, 30, tzinfo=TOKYO)
    assert day_before_moment(start, 18 * 60) == datetime(2026, 8, 23, 9, 0, tzinfo=UTC)
    early = datetime(2026, 8, 24, 0, 30, tzinfo=TOKYO)  # 15:30 UTC the day before
    assert day_before_moment(early, 9 * 60 + 30) == datetime(2026, 8, 23, 0, 30, tzinfo=UTC)


def test_confirmed_people_get_a_japanese_reminder_with_the_ticket_or_the_room_and_the_calendar(
    app, world, ctx, smtp
):
    series, session = setup_hybrid(world)
    smtp.clear()  # the confirmations

    assert send(day_before(session) + MINUTE) == (2, 0)

    by_person = {m["To"]: m for m in smtp}
    assert set(by_person) == {"venue@example.jp", "online@example.jp"}
    venue_mail, online_mail = by_person["venue@example.jp"], by_person["online@example.jp"]
    assert venue_mail["Subject"] == f"明日開催：{series.title} 第1回"
    venue_text = venue_mail.get_body(("plain",)).get_content()
    registration = reg.active_registration(series.id, user_id("venue@example.jp"))
    assert f"http://localhost/registrations/{registration.id}/ticket" in venue_text
    assert "松江市市民活動センター" in venue_text
    assert "/live" not in venue_text
    files = attachments(venue_mail)
    assert f"kakawari-ticket-{registration.id}.png" in files
    (vevent,) = icalendar.Calendar.from_ical(files["invite.ics"].get_content()).walk("VEVENT")
    assert str(vevent["UID"]) == session.ical_uid

    online_text = online_mail.get_body(("plain",)).get_content()
    assert f"http://localhost/sessions/{session.id}/live" in online_text
    assert "/ticket" not in online_text
    assert set(attachments(online_mail)) == {"invite.ics"}


def test_the_hour_before_reminder_follows_and_each_goes_out_once(app, world, ctx, smtp):
    _series, session = setup_hybrid(world)
    smtp.clear()
    assert send(day_before(session)) == (2, 0)
    assert send(day_before(session) + 5 * MINUTE) == (0, 0)  # every minute: nothing new

    assert send(hour_before(session) + MINUTE) == (0, 2)
    assert send(hour_before(session) + 2 * MINUTE) == (0, 0)
    assert len(smtp) == 4
    start = f"{session.starts_at.astimezone(TOKYO):%H:%M}"
    assert sum(m["Subject"].startswith(f"{start}開始：") for m in smtp) == 2
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 4


def test_waiting_lottery_and_cancelled_places_get_no_reminder(app, world, ctx, smtp):
    series = make_series(world["org"], sessions=[("venue", 1, None)])
    confirmed, waiting, leaving = (create_user(f"p{i}@example.jp") for i in range(3))
    reg.register(series, confirmed, mode="venue", consent=True)
    reg.register(series, waiting, mode="venue", consent=True)  # full: waitlisted
    gone = reg.register(series, leaving, mode="venue", consent=True)
    reg.cancel(gone)
    lottery = make_series(world["org"], title="抽選の講座", selection="lottery")
    reg.register(lottery, create_user("applied@example.jp"), mode="venue", consent=True)
    smtp.clear()

    session = series.sessions[0]
    assert send(day_before(session) + MINUTE) == (1, 0)
    assert send(hour_before(session) + MINUTE) == (0, 1)
    assert {m["To"] for m in smtp} == {"p0@example.jp"}
    assert send(day_before(lottery.sessions[0]) + MINUTE) == (0, 0)


def test_a_series_with_reminders_off_a_draft_and_a_cancelled_session_send_none(
    app, world, ctx, smtp
):
    off, off_session = setup_hybrid(world, title="リマインドなし")
    events.update_series(off, None, {"reminders_enabled": False})
    db.session.commit()
    other = make_series(world["org"], sessions=[("online", None, 5), ("online", None, 5)])
    reg.register(other, create_user("both@example.jp"), mode="online", consent=True)
    events.cancel_session(other.sessions[0], None)
    db.session.commit()
    smtp.clear()

    assert send(day_before(off_session) + MINUTE) == (0, 0)
    assert send(hour_before(off_session) + MINUTE) == (0, 0)
    assert send(day_before(other.sessions[0]) + MINUTE) == (0, 0)
    events.publish_series(other, None, published=False)
    db.session.commit()
    assert send(day_before(other.sessions[1]) + MINUTE) == (0, 0)
    assert smtp == []


def test_a_moved_session_is_reminded_again_for_its_new_time(app, world, ctx, smtp):
    _series, session = setup_hybrid(world)
    assert send(day_before(session) + MINUTE) == (2, 0)
    new_start = session.starts_at + timedelta(days=2)
    events.update_session(
        session, None, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=2)}
    )
    db.session.commit()
    smtp.clear()  # the mails saying it moved

    assert send(day_before(session) + MINUTE) == (2, 0)
    assert send(hour_before(session) + MINUTE) == (0, 2)
    assert len(smtp) == 4
    starts = db.session.scalars(select(Reminder.session_starts_at).distinct()).all()
    assert len(starts) == 2


def test_a_reminder_whose_moment_has_long_passed_is_not_sent_late(app, world, ctx, smtp):
    _series, session = setup_hybrid(world)
    smtp.clear()
    # the server was down from 17:00 the day before until 19:01: no day-before reminder now
    assert send(day_before(session) + 61 * MINUTE) == (0, 0)
    # nor an hour-before one once the session has started
    assert send(session.starts_at + MINUTE) == (0, 0)
    # but one a few minutes late still goes
    assert send(hour_before(session) + 50 * MINUTE) == (0, 2)


def test_the_organisation_chooses_the_time_of_the_day_before_reminder(app, world, ctx, smtp):
    _series, session = setup_hybrid(world)
    db.session.get(Organization, world["org"]).day_before_reminder_minute = 9 * 60 + 30
    db.session.commit()
    assert send(day_before(session) + MINUTE) == (0, 0)  # 18:00 is not its time any more
    nine_thirty = day_before_moment(session.starts_at, 9 * 60 + 30)
    assert send(nine_thirty - MINUTE) == (0, 0)
    assert send(nine_thirty + MINUTE) == (2, 0)


def test_a_person_who_reads_english_gets_the_reminder_in_english(app, world, ctx, smtp):
    series = make_series(world["org"], sessions=[("online", None, 5)])
    reg.register(series, create_user("en@example.jp", locale="en"), mode="online", consent=True)
    smtp.clear()
    send(hour_before(series.sessions[0]) + MINUTE)
    (mail,) = smtp
    assert mail["Subject"].startswith("Starts at ")
    assert "Enter the live room" in mail.get_body(("plain",)).get_content()


def test_what_was_sent_is_counted_per_session_kind_and_start(app, world, ctx, smtp):
    series, session = setup_hybrid(world)
    send(day_before(session) + MINUTE)
    send(hour_before(session) + MINUTE)
    found = reminders.sent_reminders(series)
    assert [(r.kind, r.count) for r in found] == [
        (ReminderKind.hour_before, 2),
        (ReminderKind.day_before, 2),
    ]
    assert all(r.session.id == session.id for r in found)


def starting_in_half_an_hour(world, email):
    """An online session starting in 30 minutes (its hour-before reminder is due now) with
    `email` confirmed: for the senders that use the clock."""
    series = make_series(world["org"], sessions=[("online", None, 5)])
    soon = datetime.now(UTC) + timedelta(minutes=30)
    times = {"starts_at": soon, "ends_at": soon + 2 * MINUTE}
    events.update_session(series.sessions[0], None, times)
    db.session.commit()
    reg.register(series, create_user(email), mode="online", consent=True)


@pytest.fixture
def job_clock_reset(app, monkeypatch):
    """The periodic jobs' clock is per process: make them due again for this test."""
    for job in app.extensions["mail_periodic_jobs"]:
        monkeypatch.setattr(job, "last", None)


def test_make_run_sends_reminders_from_the_mail_thread_without_cron(
    app, world, smtp, monkeypatch, job_clock_reset
):
    """The thread of MAIL_DELIVERY=thread runs the reminder pass and sends what it queued."""
    with app.app_context():
        starting_in_half_an_hour(world, "soon@example.jp")
    smtp.clear()
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "thread")
    monkeypatch.setitem(app.config, "MAIL_POLL_SECONDS", 0.1)
    drainer = ThreadDrainer(app)
    drainer.ensure_running()
    try:
        deadline = clock.monotonic() + 20
        while not smtp and clock.monotonic() < deadline:
            clock.sleep(0.1)
    finally:
        drainer.stop()
    assert [m["To"] for m in smtp] == ["soon@example.jp"]


def test_the_mail_worker_sends_the_due_reminders_in_its_round(
    app, world, smtp, monkeypatch, job_clock_reset
):
    """`flask mail worker` (production): one round queues the reminders and sends them."""
    with app.app_context():
        starting_in_half_an_hour(world, "worker@example.jp")
    smtp.clear()
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    drain = queue.drain

    def drain_then_stop():
        result = drain()
        signal.raise_signal(signal.SIGTERM)  # the worker stops after this round
        return result

    monkeypatch.setattr(queue, "drain", drain_then_stop)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = app.test_cli_runner().invoke(args=["mail", "worker"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert "Mail worker stopped." in result.output, result.output
    assert [m["To"] for m in smtp] == ["worker@example.jp"]


def test_flask_reminders_send_queues_the_due_reminders_once(app, world, ctx, smtp):
    starting_in_half_an_hour(world, "cron@example.jp")
    smtp.clear()

    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "day-before reminders: 0, hour-before reminders: 1" in result.output
    assert [m["To"] for m in smtp] == ["cron@example.jp"]
    again = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert "hour-before reminders: 0" in again.output
    assert len(smtp) == 1


def test_two_senders_reading_at_once_still_send_each_reminder_once(app, world, smtp, monkeypatch):
    """On either database (SQLite: writers take turns; PostgreSQL: the later insert waits for
    the first to commit, then writes nothing)."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")  # senders only queue
    with app.app_context():
        _series, session = setup_hybrid(world)
        eve, hour = day_before(session), hour_before(session)
    rendezvous = Rendezvous(monkeypatch)
    race(app, eve + MINUTE, rendezvous)
    race(app, hour + MINUTE, rendezvous, senders=3)
    with app.app_context():
        kinds = db.session.execute(select(Reminder.kind, func.count()).group_by(Reminder.kind))
        assert dict(kinds.all()) == {ReminderKind.day_before: 2, ReminderKind.hour_before: 2}
        subjects = db.session.scalars(
            select(OutgoingMail.subject).where(OutgoingMail.recipient == "venue@example.jp")
        ).all()
    assert sum(s.startswith("明日開催") for s in subjects) == 1
    assert sum("開始：" in s for s in subjects) == 1
