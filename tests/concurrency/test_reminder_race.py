"""Two reminder senders at once on PostgreSQL (two mail workers, or a worker and `flask reminders
send` from cron): each in its own thread with its own app context and database connection,
calling the reminder pass at the same instant, several times. Exactly one of each reminder per
confirmed person and session; none for waiting or cancelled places or a series with reminders
off; a moved session is reminded again for its new time.

In the rounds that send, both senders are held after reading what is due until both have read
it (the widest race there is), so both try to write every reminder. The control runs the same
race with the unique constraint dropped: every person gets the mail twice, which shows the
constraint, not luck, makes the test pass."""

import secrets
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.accounts.models import User
from app.events import services as events
from app.events.models import Session
from app.extensions import db
from app.mail.models import OutgoingMail
from app.registration import services as reg
from app.registration.models import Reminder
from app.registration.reminders import day_before_moment
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.registration.reminder_race import Rendezvous, race

MINUTE = timedelta(minutes=1)


@pytest.fixture
def rendezvous(monkeypatch):
    return Rendezvous(monkeypatch)


def stage(app):
    """A hybrid session (2 venue places) with three confirmed people, one waiting and one who
    cancelled; and a series with reminders off whose one person is confirmed."""
    tag = secrets.token_hex(3)
    with app.app_context():
        series = make_series(
            app_org(app), title=f"リマインド講座 {tag}", sessions=[("hybrid", 2, 5)]
        )
        people = {
            name: create_user(f"{name}.{tag}@example.jp")
            for name in ("venue1", "venue2", "online", "waiting", "cancelled", "off")
        }
        reg.register(series, people["venue1"], mode="venue", consent=True)
        reg.register(series, people["venue2"], mode="venue", consent=True)
        reg.register(series, people["online"], mode="online", consent=True)
        reg.register(series, people["waiting"], mode="venue", consent=True)  # full: waits
        gone = reg.register(series, people["cancelled"], mode="online", consent=True)
        reg.cancel(gone)
        off = make_series(
            app_org(app), title=f"リマインドなし {tag}", sessions=[("online", None, 5)]
        )
        events.update_series(off, None, {"reminders_enabled": False})
        db.session.commit()
        session = series.sessions[0]
        start = session.starts_at
        one_minute = {"starts_at": start, "ends_at": start + MINUTE}
        events.update_session(off.sessions[0], None, one_minute)
        db.session.commit()
        reg.register(off, people["off"], mode="online", consent=True)
        return session.id, start, {name: u.email for name, u in people.items()}, tag


def app_org(app) -> int:
    from app.orgs.models import Organization

    org = Organization(name="リマインド協議会")
    db.session.add(org)
    db.session.commit()
    return org.id


def reminder_mails(app, tag) -> Counter:
    """(recipient, subject) of the reminder mails of this stage, counted."""
    with app.app_context():
        rows = db.session.execute(
            select(OutgoingMail.recipient, OutgoingMail.subject).where(
                OutgoingMail.recipient.like(f"%.{tag}@example.jp"),
                # 明日開催：… and 13:30開始：…, not the confirmations nor the notice of the move
                OutgoingMail.subject.like("明日開催：%") | OutgoingMail.subject.like("%開始：%"),
            )
        ).all()
    return Counter(rows)


def per_person(mails: Counter) -> Counter:
    counts = Counter()
    for (to, _subject), n in mails.items():
        counts[to] += n
    return counts


def reminder_rows(app, emails) -> Counter:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, Reminder.kind, Reminder.session_starts_at)
            .join(User, User.id == Reminder.user_id)
            .where(User.email.in_(emails))
        ).all()
    return Counter(rows)


def test_two_senders_at_once_send_each_reminder_once_to_confirmed_people_only(live_app, rendezvous):
    session_id, start, emails, tag = stage(live_app)
    confirmed = [emails["venue1"], emails["venue2"], emails["online"]]

    eve = day_before_moment(start, 18 * 60)
    race(live_app, eve + MINUTE, rendezvous)
    for minute in (2, 3, 4):  # the next passes, every minute: nothing new
        race(live_app, eve + minute * MINUTE, rendezvous, senders=3, hold=False)
    race(live_app, start - 59 * MINUTE, rendezvous)
    race(live_app, start - 58 * MINUTE, rendezvous, hold=False)

    # the organiser moves the session a day later: reminded again for the new time
    with live_app.app_context():
        moved = start + timedelta(days=1)
        session = db.session.get(Session, session_id)
        events.update_session(session, None, {"starts_at": moved, "ends_at": moved + MINUTE})
        db.session.commit()
    race(live_app, day_before_moment(moved, 18 * 60) + MINUTE, rendezvous)
    race(live_app, moved - 59 * MINUTE, rendezvous, senders=3)

    rows = reminder_rows(live_app, emails.values())
    assert set(rows.values()) == {1}
    assert Counter(email for email, _kind, _at in rows) == dict.fromkeys(confirmed, 4)
    assert {at for _e, _k, at in rows} == {start, moved}
    mails = reminder_mails(live_app, tag)
    assert per_person(mails) == dict.fromkeys(confirmed, 4)


def test_without_the_unique_constraint_the_same_race_sends_twice(live_app, rendezvous):
    """The control: the constraint dropped, the same two senders each send every reminder."""
    _session_id, start, emails, tag = stage(live_app)
    with live_app.app_context():
        # the race reminds every session due then, also those of other tests in this database
        # (a rush's series starts the same day): all it writes is deleted afterwards
        before = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM reminder"))
        db.session.execute(text("ALTER TABLE reminder DROP CONSTRAINT uq_reminder_once"))
        db.session.commit()
    try:
        race(live_app, day_before_moment(start, 18 * 60) + MINUTE, rendezvous)
        mails = reminder_mails(live_app, tag)
    finally:
        with live_app.app_context():
            db.session.execute(text("DELETE FROM reminder WHERE id > :id"), {"id": before})
            db.session.execute(
                text(
                    "ALTER TABLE reminder ADD CONSTRAINT uq_reminder_once "
                    "UNIQUE (session_id, kind, user_id, session_starts_at)"
                )
            )
            db.session.commit()
    confirmed = [emails["venue1"], emails["venue2"], emails["online"]]
    assert per_person(mails) == dict.fromkeys(confirmed, 2)
