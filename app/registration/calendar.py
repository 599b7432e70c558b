"""Calendar files (.ics): the public feed of a series, a person's private feed, and the files
attached to emails. Each session keeps one UID for life and a SEQUENCE that grows with every
change people see, so calendars update the entry they already have instead of adding another.

Online places link to the session page, never to the stream: the stream URL is only ever shown
inside the live room.
"""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.errors import NotFound
from app.core.timefmt import TOKYO
from app.core.urls import external_url
from app.events.models import Mode, Series, Session, SessionVenue
from app.extensions import db
from app.registration.models import CalendarFeed, PlaceStatus
from app.registration.unit import joins_unit_of_work

PRODID = "-//Kakawari//Kakawari//JA"
TENTATIVE = (PlaceStatus.waitlisted, PlaceStatus.applied)


@dataclass(frozen=True)
class Entry:
    """One session as one person (or the public) sees it."""

    session: Session
    #: the person's mode; None in a series' public feed (then every mode the session offers)
    mode: Mode | None = None
    #: waiting for a place or for the lottery
    tentative: bool = False
    #: the person's venue (サテライト会場: one of several); None: the session's venues
    venue: SessionVenue | None = None


def place_entries(places) -> list[Entry]:
    """Entries for a person's places (waiting for a place or the lottery: tentative)."""
    return [Entry(p.session, p.mode, p.status in TENTATIVE, p.at_venue) for p in places]


def build_calendar(
    entries, *, method: str = "PUBLISH", name: str | None = None, attendee=None, utc=False
):
    """VCALENDAR bytes. method: PUBLISH (feeds), REQUEST (emails) or CANCEL (a cancellation
    email: every event is marked cancelled). attendee: the User an email goes to. utc: times
    in UTC (the portal's feeds, for any calendar) rather than Asia/Tokyo."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    if name:
        cal.add("x-wr-calname", name)
    now = datetime.now(UTC)
    for entry in entries:
        cal.add_component(_event(entry, method, now, attendee, UTC if utc else TOKYO))
    _add_missing_timezones(cal)
    return cal.to_ical()


@functools.cache
def _vtimezone(tzid: str) -> bytes:
    """Building a VTIMEZONE scans decades of offsets (~0.3 s of CPU): once per process."""
    return icalendar.Timezone.from_tzid(tzid).to_ical()


def _add_missing_timezones(cal: icalendar.Calendar) -> None:
    """cal.add_missing_timezones(), from the cache (it ran on every registration email)."""
    for i, tzid in enumerate(sorted(cal.get_missing_tzids())):
        cal.subcomponents.insert(i, icalendar.Timezone.from_ical(_vtimezone(tzid)))


def _event(entry: Entry, method: str, now: datetime, attendee, zone=TOKYO) -> icalendar.Event:
    session = entry.session
    series = session.series
    page = external_url("registration.session_page", session_id=session.id)
    modes = (entry.mode,) if entry.mode else session.modes
    event = icalendar.Event()
    event.add("uid", session.ical_uid)
    event.add("sequence", session.ical_sequence)
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", f"{series.title} {session.title}")
    description = [series.org.name]
    venues = [entry.venue] if entry.venue else session.venues
    if Mode.venue in modes and venues:
        # the person's own venue; a public entry of several venues names them all
        if len(venues) == 1:
            location = ", ".join(filter(None, (venues[0].name, venues[0].address)))
        else:
            location = " / ".join(v.name for v in venues)
        event.add("location", location)
        for v in venues:
            if v.map_url:
                description.append(_("Map: %(url)s", url=v.map_url))
    if Mode.online in modes:
        event.add("url", page)
        description.append(_("Take part online from this page: %(url)s", url=page))
    else:
        description.append(_("Details: %(url)s", url=page))
    event.add("description", "\n".join(description))
    if session.is_cancelled or method == "CANCEL":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "TENTATIVE" if entry.tentative else "CONFIRMED")
    if attendee is not None:
        _add_people(event, series, attendee, entry.tentative)
    return event


def _add_people(event: icalendar.Event, series: Series, user: User, tentative: bool) -> None:
    """ORGANIZER and ATTENDEE, which calendars expect on a REQUEST or CANCEL (RFC 5546)."""
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    organizer = icalendar.vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = series.org.name
    event.add("organizer", organizer)
    person = icalendar.vCalAddress(f"mailto:{user.email}")
    person.params["cn"] = user.name
    person.params["partstat"] = "TENTATIVE" if tentative else "ACCEPTED"
    person.params["rsvp"] = "FALSE"
    event.add("attendee", person)


# --- feeds -------------------------------------------------------------------------------------


def series_feed(series: Series) -> bytes:
    """Every session of a published series, cancelled ones marked so."""
    return build_calendar([Entry(s) for s in series.sessions], name=series.title)


def person_feed(user: User, registrations) -> bytes:
    """The sessions the person holds a place in; waiting or lottery places are tentative.
    Written in the person's language (calendar apps fetch it without one)."""
    held = [p for r in registrations for p in r.places if p.status is not PlaceStatus.cancelled]
    entries = place_entries(sorted(held, key=lambda p: p.session.starts_at))
    with force_locale(user.locale):
        return build_calendar(entries, name=_("Kakawari: %(name)s", name=user.name))


# --- the private feed's address --------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="calendar-feed")


def _version(user_id: int) -> int:
    feed = db.session.get(CalendarFeed, user_id)
    return feed.version if feed else 1


def feed_token(user: User) -> str:
    return _serializer().dumps([user.id, _version(user.id)])


def feed_url(user: User) -> str:
    return external_url("registration.private_calendar", token=feed_token(user))


def feed_owner(token: str) -> User:
    """The person whose feed this token opens; NotFound once the address was reset."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise NotFound() from None
    if not (isinstance(data, list) and len(data) == 2 and all(type(x) is int for x in data)):
        raise NotFound()
    user = db.session.get(User, data[0])
    if user is None or not user.is_active or _version(user.id) != data[1]:
        raise NotFound()
    return user


@joins_unit_of_work
def reset_feed(user: User) -> None:
    """A new address for the person's feed; the old one stops working at once. Flushes; the
    edge commits."""
    for _attempt in range(2):  # two resets at once may both create the row: one retries
        bumped = db.session.execute(
            update(CalendarFeed)
            .where(CalendarFeed.user_id == user.id)
            .values(version=CalendarFeed.version + 1)
        )
        if bumped.rowcount:
            return
        try:
            with db.session.begin_nested():
                db.session.add(CalendarFeed(user_id=user.id, version=2))
            return
        except IntegrityError:
            continue
