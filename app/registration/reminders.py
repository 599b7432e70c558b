"""Reminders (リマインド): a mail the day before a session, at the organisation's time (18:00 Japan
time unless it chose another), and one an hour before the start, to each person with a
confirmed place, with the live room's link (online) or the QR ticket (venue) and the calendar
entry. Never for a waiting or lottery place, a cancelled one, a cancelled session, a series not
published or one whose organisers switched reminders off.

Exactly once, whatever runs at once (several mail workers, the thread of `make run`, cron, a
restart): a pass writes one `Reminder` row per person, session, kind and start time with
INSERT … ON CONFLICT DO NOTHING, and queues the mail only for the rows it wrote, in the same
transaction (the mail queue writes its rows when the caller commits). A second sender's insert
of the same row waits for the first to commit and then writes nothing. A session moved after
its reminder went out has a new start time, so a new key: it is reminded again. A reminder is
due from its moment until REMINDER_GRACE_MINUTES after it, and never once the session started:
one missed while no sender ran is not sent late.

`queue_due_reminders()` flushes and never commits: its edges (`flask reminders send`, and the
mail thread or worker through app.mail.delivery.add_periodic_job) commit.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.core.timefmt import TOKYO, format_span, to_local
from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import Mode, Series, SeriesStatus, Session, SessionStatus
from app.events.services import room_window
from app.extensions import db
from app.mail import send_mail
from app.mail.attachments import Deferred
from app.registration.models import Place, PlaceStatus, Registration, Reminder, ReminderKind
from app.registration.next_steps import mail_link

log = logging.getLogger("kakawari.reminders")

HOUR_BEFORE = timedelta(hours=1)
#: the earliest a day-before reminder can be due: 00:00 the day before a session at 23:59
LOOKAHEAD = timedelta(hours=48)


def day_before_moment(starts_at: datetime, minute: int) -> datetime:
    """When the day-before reminder of a session starting at `starts_at` goes out: the day
    before its date in Japan, at `minute` minutes after midnight Japan time."""
    day = to_local(starts_at).date() - timedelta(days=1)
    at = time(minute // 60, minute % 60, tzinfo=TOKYO)
    return datetime.combine(day, at).astimezone(UTC)


def moment(kind: ReminderKind, session: Session) -> datetime:
    if kind is ReminderKind.hour_before:
        return session.starts_at - HOUR_BEFORE
    return day_before_moment(session.starts_at, session.series.org.day_before_reminder_minute)


def is_due(kind: ReminderKind, session: Session, now: datetime) -> bool:
    """From its moment until the grace has passed, and never once the session started."""
    at = moment(kind, session)
    grace = timedelta(minutes=current_app.config["REMINDER_GRACE_MINUTES"])
    return at <= now < min(at + grace, session.starts_at)


# --- the pass ------------------------------------------------------------------------------------


def queue_due_reminders(now: datetime | None = None) -> Counter:
    """Queue every reminder that is due and not yet sent; how many of each kind. Flushes only:
    the caller commits, and the reminders and their mails go out together or not at all."""
    now = now or utcnow()
    due = _due(now)
    queued = Counter()
    for kind, place in _claim(due):
        if _remind(kind, place):
            queued[kind] += 1
    return queued


def _confirmed_places(now: datetime) -> list[Place]:
    """Confirmed places of people still here, in scheduled sessions of published series with
    reminders on, starting within LOOKAHEAD; with all a mail needs."""
    return db.session.scalars(
        select(Place)
        .join(Place.session)
        .join(Session.series)
        .join(Series.org)
        .join(Place.registration)
        .join(Registration.user)
        .where(
            Place.status == PlaceStatus.confirmed,
            Session.status == SessionStatus.scheduled,
            Session.starts_at > now,
            Session.starts_at <= now + LOOKAHEAD,
            Series.status == SeriesStatus.published,
            Series.reminders_enabled.is_(True),
            User.deleted_at.is_(None),
        )
        .options(
            # the registration's series is the session's: found in the identity map
            contains_eager(Place.session).contains_eager(Session.series).contains_eager(Series.org),
            contains_eager(Place.registration).contains_eager(Registration.user),
        )
        .order_by(Place.session_id, Place.id)
    ).all()


def _key(kind: ReminderKind, place: Place) -> tuple:
    return (place.session_id, kind.value, place.registration.user_id, place.session.starts_at)


def _due(now: datetime) -> dict[tuple, tuple[ReminderKind, Place]]:
    """The reminders due now that no sender has written yet, by their key."""
    places = _confirmed_places(now)
    due = {
        _key(kind, place): (kind, place)
        for place in places
        for kind in ReminderKind
        if is_due(kind, place.session, now)
    }
    if not due:
        return due
    written = db.session.execute(
        select(
            Reminder.session_id, Reminder.kind, Reminder.user_id, Reminder.session_starts_at
        ).where(Reminder.session_id.in_({key[0] for key in due}))
    ).all()
    for session_id, kind, user_id, starts_at in written:
        due.pop((session_id, kind.value, user_id, starts_at), None)
    return due


def _claim(due: dict[tuple, tuple[ReminderKind, Place]]) -> list[tuple[ReminderKind, Place]]:
    """Write the reminders' rows; those this transaction wrote (another sender's are left out,
    once it committed). Rows go in key order: two senders may wait for each other, never in a
    deadlock."""
    if not due:
        return []
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    claimed = []
    keys = sorted(due)
    for start in range(0, len(keys), 500):
        rows = [
            {
                "session_id": session_id,
                "kind": ReminderKind(kind),
                "user_id": user_id,
                "session_starts_at": starts_at,
                "mode": due[(session_id, kind, user_id, starts_at)][1].mode,
                "queued_at": now,
            }
            for session_id, kind, user_id, starts_at in keys[start : start + 500]
        ]
        written = db.session.execute(
            dialect.insert(Reminder)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(Reminder.session_id, Reminder.kind, Reminder.user_id)
        ).all()
        by_key = {(k[0], k[1], k[2]): due[k] for k in keys[start : start + 500]}
        claimed += [by_key[(sid, kind.value, uid)] for sid, kind, uid in written]
    return claimed


# --- the mail ------------------------------------------------------------------------------------


def _remind(kind: ReminderKind, place: Place) -> bool:
    """Queue the reminder's mail in the person's language; False when it is not to be sent
    (a placeholder address, MAIL_SUPPRESS). A mail that cannot be written is logged: its row
    stays, so it is not tried every minute."""
    registration = place.registration
    user = registration.user
    try:
        with force_locale(user.locale):
            subject, body = _compose(kind, place)
        attachments = [
            Deferred(
                "registration-calendar",
                {
                    "user_id": user.id,
                    "method": "REQUEST",
                    "rows": [[place.session_id, place.mode.value, False]],
                },
            )
        ]
        if place.mode is Mode.venue:
            # the ticket's QR code, as the confirmation carries it
            attachments.append(
                Deferred("registration-extras", {"registration_id": registration.id})
            )
        return send_mail(user.email, subject, body, attachments=attachments)
    except Exception:
        log.exception("Could not write the %s reminder of place %s", kind.value, place.id)
        return False


def _compose(kind: ReminderKind, place: Place) -> tuple[str, str]:
    session, registration = place.session, place.registration
    series = registration.series
    title = f"{series.title} {session.title}"
    if kind is ReminderKind.day_before:
        subject = _("Tomorrow: %(session)s", session=title)
        intro = _("This is a reminder: you have a place in this session tomorrow.")
    else:
        start = f"{to_local(session.starts_at):%H:%M}"
        subject = _("Starts at %(time)s: %(session)s", time=start, session=title)
        intro = _("This is a reminder: this session starts in an hour.")
    lines = [
        _("Dear %(name)s,", name=registration.user.name),
        "",
        intro,
        "",
        series.title,
        f"- {session.title}  {format_span(session.starts_at, session.ends_at)}",
    ]
    _what, link = mail_link(place)  # a confirmed place: the room or the ticket
    if place.mode is Mode.online:
        opens = f"{to_local(room_window(session)[0]):%H:%M}"
        lines += [
            "  " + _("online"),
            "  " + _("Enter the live room (it opens at %(time)s): %(url)s", time=opens, url=link),
        ]
    else:
        lines.append("  " + _("at the venue"))
        venue = place.at_venue
        if venue is not None:
            lines.append(f"  {venue.name} {venue.address}".rstrip())
            if venue.map_url:
                lines.append("  " + _("Map: %(url)s", url=venue.map_url))
        lines.append("  " + _("Your QR code for the reception: %(url)s", url=link))
    detail = external_url("registration.registration_detail", registration_id=registration.id)
    lines += [
        "",
        _("The calendar entry is attached."),
        _("If you can no longer come, please cancel so the next person gets the place."),
        _("Your registration: %(url)s", url=detail),
        "",
        "— " + series.org.name + " / Kakawari",
    ]
    return subject, "\n".join(lines)


# --- what organisers see ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentReminders:
    """The reminders of one kind about one session at one start time."""

    session: Session
    kind: ReminderKind
    session_starts_at: datetime
    count: int
    first_at: datetime
    last_at: datetime


def sent_reminders(series: Series) -> list[SentReminders]:
    """What was sent for the series' sessions, the latest first."""
    rows = db.session.execute(
        select(
            Reminder.session_id,
            Reminder.kind,
            Reminder.session_starts_at,
            func.count(),
            func.min(Reminder.queued_at),
            func.max(Reminder.queued_at),
        )
        .join(Reminder.session)
        .where(Session.series_id == series.id)
        .group_by(Reminder.session_id, Reminder.kind, Reminder.session_starts_at)
    ).all()
    sessions = {s.id: s for s in series.sessions}
    found = [SentReminders(sessions[row[0]], *row[1:]) for row in rows]
    return sorted(found, key=lambda r: r.last_at, reverse=True)


# --- who runs the pass -----------------------------------------------------------------------


def schedule_reminders(app: Flask) -> None:
    """The mail thread (`make run`) and `flask mail worker` also run a pass every
    REMINDER_POLL_SECONDS, and commit it: no cron needed."""
    from app.mail.delivery import add_periodic_job

    add_periodic_job(app, "reminders", app.config["REMINDER_POLL_SECONDS"], queue_due_reminders)
