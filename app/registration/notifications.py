"""Emails to participants, sent when registration or events announce a change (signals).

A mail is queued (app/mail/) in the session and sent by the queue's drainer, which retries.
A new registration's mail is queued inside the registration's own transaction (they commit
together); the other changes announce themselves after they committed, and their mails are
committed by the sender (places_changed) or here (session and series changes). A mail that
cannot even be composed is logged and never undoes or breaks the change.
Every mail is written in the recipient's language and carries a calendar file: REQUEST for a
place (a waiting place is tentative), CANCEL when a session or a place is gone. The calendar
file and the ticket are built when the mail is sent (deferred attachments), not in the request.
"""

import logging
from collections import defaultdict
from functools import wraps

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.core.timefmt import format_datetime, format_span
from app.core.urls import external_url
from app.events.models import Mode, Series, SeriesStatus, Session
from app.events.services import room_window
from app.events.signals import series_cancelled, session_changed
from app.extensions import commit_keeping_loaded, db
from app.mail import send_mail
from app.mail.attachments import Deferred, deferred_builder
from app.registration import calendar, capacity
from app.registration.models import Place, PlaceStatus, Registration
from app.registration.next_steps import mail_link
from app.registration.signals import mail_attachments, places_changed

log = logging.getLogger("kakawari.notifications")

ACTIVE = (PlaceStatus.confirmed, PlaceStatus.waitlisted, PlaceStatus.applied)


def _never_raises(receiver=None, *, commit: bool = True):
    """A failing notification is logged; the change it reports on stands. The mails queued are
    committed here, unless the sender's side commits what all its listeners wrote
    (places_changed: the edge, or the after-commit queue of registration.places.announce)."""
    if receiver is None:
        return lambda receiver: _never_raises(receiver, commit=commit)

    @wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            receiver(*args, **kwargs)
            if commit:
                _commit_queued_mail()
        except Exception as exc:
            if isinstance(exc, SQLAlchemyError) and not commit:
                raise  # the transaction is the sender's, and now broken: the sender decides
            log.exception("Notification %s failed", receiver.__name__)
            if isinstance(exc, SQLAlchemyError):
                db.session.rollback()

    return wrapper


def _commit_queued_mail() -> None:
    """Commit the mails the receiver queued: they go out once committed. The change itself
    committed before the signal, so nothing else is new and the caller's objects stay loaded."""
    commit_keeping_loaded()


def _id(obj) -> int:
    """The primary key without a query (objects are expired after the change committed)."""
    return inspect(obj).identity[0]


def _ready(registration: Registration) -> Registration:
    """The registration as the change left it when it is still loaded (registering keeps it,
    with its places and sessions); read again, with all a mail needs, when it was expired."""
    unloaded = inspect(registration).unloaded
    if "status" in unloaded or "places" in unloaded:
        return _load(_id(registration))
    return registration


# --- receivers ---------------------------------------------------------------------------------


@places_changed.connect
@_never_raises(commit=False)
def _on_places_changed(registration: Registration, kind: str, promoted=(), places=(), **_extra):
    compose = {
        "registered": _registered,
        "lottery": _lottery_result,
        "cancelled": _cancelled_by_person,
        "mode_switched": _mode_switched,
    }.get(kind)
    if compose:
        _tell(_ready(registration), compose)
    if kind == "added":  # sessions booked later: the mail is about those places
        added = _places(Place.id.in_([_id(p) for p in places]))
        _tell(_ready(registration), _sessions_added, added)
    if not promoted:
        return
    by_registration = defaultdict(list)
    for place in _places(Place.id.in_([_id(p) for p in promoted])):
        by_registration[place.registration].append(place)
    for promoted_registration, places in by_registration.items():
        _tell(promoted_registration, _promoted, places)


@session_changed.connect
@_never_raises
def _on_session_changed(session: Session, changes: set, **_extra):
    if "cancelled" in changes:
        if session.series.status is SeriesStatus.cancelled:
            return  # the series' cancellation mail lists this session already
        for place in _held_places(session.id):
            _tell(place.registration, _session_cancelled, [place])
    elif changes & {"time", "place"}:
        for place in _held_places(session.id):
            _tell(place.registration, _session_moved, place, changes)


@series_cancelled.connect
@_never_raises
def _on_series_cancelled(series: Series, **_extra):
    cancelled = [s.id for s in series.sessions if s.is_cancelled]
    by_registration = defaultdict(list)
    for place in _held_places(*cancelled):
        by_registration[place.registration].append(place)
    for registration, places in by_registration.items():
        _tell(registration, _session_cancelled, places)


# --- loading in few queries --------------------------------------------------------------------


def _load(registration_id: int) -> Registration:
    """The registration with its person, series, organisation, places and sessions."""
    return db.session.scalars(
        select(Registration)
        .where(Registration.id == registration_id)
        .options(
            joinedload(Registration.user),
            joinedload(Registration.series).joinedload(Series.org),
            selectinload(Registration.places).joinedload(Place.session),
        )
        .execution_options(populate_existing=True)
    ).one()


def _places(condition) -> list[Place]:
    """Places with their sessions, people, series and organisations, in one query."""
    return db.session.scalars(
        select(Place)
        .where(condition)
        .options(
            joinedload(Place.session),
            joinedload(Place.registration).joinedload(Registration.user),
            joinedload(Place.registration).joinedload(Registration.series).joinedload(Series.org),
        )
        .order_by(Place.id)
    ).all()


def _held_places(*session_ids) -> list[Place]:
    """Places held (or waited for) in these sessions."""
    return _places(Place.session_id.in_(session_ids) & Place.status.in_(ACTIVE))


# --- writing and sending -----------------------------------------------------------------------


def _tell(registration: Registration, compose, *args) -> None:
    """Write the mail in the person's language and send it; a failure is logged, not raised."""
    user = registration.user
    if not user.is_active:
        return
    try:
        with force_locale(user.locale):
            subject, lines, entries, method = compose(registration, *args)
            body = "\n".join(
                [
                    _("Dear %(name)s,", name=user.name),
                    "",
                    *lines,
                    "",
                    _("Your registration: %(url)s", url=_detail_url(registration)),
                    "",
                    "— " + registration.series.org.name + " / Kakawari",
                ]
            )
        attachments = [_calendar_file(user, entries, method)]
        # The ticket goes with the news of a place (not with every change, which would
        # load one ticket per person when a whole session moves).
        if compose in (_registered, _promoted, _lottery_result, _sessions_added):
            attachments.append(
                Deferred("registration-extras", {"registration_id": registration.id})
            )
        send_mail(user.email, subject, body, attachments=attachments)
    except Exception:
        log.exception("Could not email %s about registration %s", user.id, registration.id)


def _calendar_file(user: User, entries, method: str) -> Deferred:
    """The calendar file, as the entries stand now (session, mode, tentative), built at send
    time with the sessions' details then (their SEQUENCE only grows, so that is never stale)."""
    rows = [[e.session.id, e.mode.value if e.mode else None, e.tentative] for e in entries]
    return Deferred("registration-calendar", {"user_id": user.id, "method": method, "rows": rows})


@deferred_builder("registration-calendar")
def _build_calendar_file(user_id: int, method: str, rows: list):
    user = db.session.get(User, user_id)
    sessions = db.session.scalars(
        select(Session)
        .where(Session.id.in_([row[0] for row in rows]))
        .options(joinedload(Session.series).joinedload(Series.org))
    ).all()
    by_id = {s.id: s for s in sessions}
    entries = [
        calendar.Entry(by_id[sid], Mode(mode) if mode else None, tentative)
        for sid, mode, tentative in rows
        if sid in by_id
    ]
    with force_locale(user.locale if user else "ja"):
        ics = calendar.build_calendar(entries, method=method, attendee=user)
    return [("invite.ics", ics, f"text/calendar; method={method}")]


@deferred_builder("registration-extras")
def _build_extras(registration_id: int):
    """What other areas attach (check-in: the ticket of a confirmed registration)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return []
    attachments = []
    for _receiver, extra in mail_attachments.send(registration):
        attachments += extra or []
    return attachments


def _detail_url(registration: Registration) -> str:
    return external_url("registration.registration_detail", registration_id=registration.id)


def _session_line(session: Session) -> str:
    return f"- {session.title}  {format_span(session.starts_at, session.ends_at)}"


def _place_line(place: Place, positions: dict) -> str:
    session = place.session
    mode = _("at the venue") if place.mode is Mode.venue else _("online")
    status = {
        PlaceStatus.confirmed: _("confirmed"),
        PlaceStatus.applied: _("lottery pending"),
        PlaceStatus.cancelled: _("cancelled"),
    }.get(place.status) or _("waitlist number %(n)d", n=positions.get(place.id, 0))
    lines = [_session_line(session), f"  {mode} — {status}"]
    venue = place.at_venue
    if venue is not None:
        lines.append(f"  {venue.name} {venue.address}".rstrip())
    # Straight to what the person needs that day: the live room or the QR ticket.
    what, link = mail_link(place)
    if what == "room":
        opens = format_datetime(room_window(session)[0])
        lines.append("  " + _("Live room (opens %(time)s): %(url)s", time=opens, url=link))
    elif what == "ticket":
        lines.append("  " + _("Your QR ticket for reception: %(url)s", url=link))
    elif place.status is not PlaceStatus.cancelled:
        lines.append("  " + _("Session page: %(url)s", url=link))
    return "\n".join(lines)


def _places_block(places) -> list[str]:
    positions = capacity.waitlist_positions(places)
    return [_place_line(p, positions) for p in places]


def _held(registration: Registration) -> list[Place]:
    return [p for p in registration.places if p.status in ACTIVE]


# --- what each mail says -----------------------------------------------------------------------
# Each returns (subject, body lines, calendar entries, calendar method).


def _about(subject, intro: list, registration: Registration, places, method="REQUEST"):
    """A mail about some of the person's places: the intro, then those places, and their
    calendar entries."""
    lines = [*intro, "", registration.series.title, *_places_block(places)]
    return subject, lines, calendar.place_entries(places), method


def _registered(registration: Registration):
    series = registration.series
    status = registration.status.value
    if status == "confirmed":
        subject = _("Registration confirmed: %(series)s", series=series.title)
        intro = _("Thank you for registering for %(series)s.", series=series.title)
    elif status == "applied":
        subject = _("Application received: %(series)s", series=series.title)
        intro = _(
            "Thank you for applying for %(series)s. Places are drawn by lottery after "
            "registration closes; we will email you the result.",
            series=series.title,
        )
    else:
        subject = _("You are on the waitlist: %(series)s", series=series.title)
        intro = _(
            "%(series)s is full for now. You are on the waitlist; when a place frees up it "
            "goes to the first person waiting, and we will email you.",
            series=series.title,
        )
    return _about(subject, [intro], registration, _held(registration))


def _promoted(registration: Registration, places: list):
    subject = _("You have a place: %(series)s", series=registration.series.title)
    intro = [
        _("A place became free and it is yours now."),
        _("If you can no longer come, please cancel so the next person gets the place."),
    ]
    return _about(subject, intro, registration, places)


def _mode_switched(registration: Registration):
    subject = _("How you take part has changed: %(series)s", series=registration.series.title)
    intro = _("You changed how you take part. Your places now:")
    return _about(subject, [intro], registration, _held(registration))


def _lottery_result(registration: Registration):
    series = registration.series
    if registration.status.value == "confirmed":
        subject = _("Lottery result: you have a place in %(series)s", series=series.title)
        intro = _("Good news: you were drawn for %(series)s.", series=series.title)
    else:
        subject = _("Lottery result: %(series)s", series=series.title)
        intro = _(
            "You were not drawn for %(series)s this time. You are on the waitlist and get a "
            "place by email as soon as one frees up.",
            series=series.title,
        )
    return _about(subject, [intro], registration, _held(registration))


def _cancelled_by_person(registration: Registration):
    """The places cancelled just now (they share one cancellation time)."""
    cancelled = [p for p in registration.places if p.status is PlaceStatus.cancelled]
    latest = max((p.cancelled_at for p in cancelled if p.cancelled_at), default=None)
    places = [p for p in cancelled if p.cancelled_at == latest]
    subject = _("Cancellation confirmed: %(series)s", series=registration.series.title)
    return _about(subject, [_("These places are cancelled:")], registration, places, "CANCEL")


def _sessions_added(registration: Registration, places: list):
    """Sessions booked in an existing registration: each confirmed or waiting."""
    subject = _("Sessions added: %(series)s", series=registration.series.title)
    intro = _("These sessions are added to your registration:")
    return _about(subject, [intro], registration, places)


def _session_moved(registration: Registration, place: Place, changes: set):
    title = f"{registration.series.title} {place.session.title}"
    intro = []
    if "time" in changes:
        intro.append(_("The time has changed."))
    if "place" in changes:
        intro.append(_("The venue or the format has changed."))
    intro.append(_("The new details (your calendar entry is updated by the attached file):"))
    return _about(_("Changed: %(session)s", session=title), intro, registration, [place])


def _session_cancelled(registration: Registration, places: list):
    series = registration.series
    if len(places) == 1:
        subject = _("Cancelled: %(session)s", session=f"{series.title} {places[0].session.title}")
    else:
        subject = _("Cancelled: %(session)s", session=series.title)
    lines = [
        _("We are sorry: the organiser has cancelled these sessions."),
        "",
        series.title,
        *(_session_line(p.session) for p in places),
    ]
    return subject, lines, calendar.place_entries(places), "CANCEL"
