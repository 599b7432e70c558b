"""Venue check-in: the one place that decides whether a ticket admits someone to a session.

`decide()` is called by the scanner page, the manual search, the API and the offline sync. It is
idempotent by nonce within a session (a nonce is looked up only in the session being scanned;
one used at another session of the organisation is refused), keeps the device's scan time, and
is safe when two phones scan the same ticket at once: the partial unique index on standing
check-ins lets exactly one in, and the other answer is "already checked in". Only sessions with
a venue take check-ins; offline scans are accepted only as the scanner could have made them.
"""

import enum
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.audit.services import record
from app.checkin.models import CheckIn, Ticket
from app.checkin.signals import checked_in, checkin_undone
from app.core.errors import NotFound, OutsideCheckinHours
from app.core.secrets import hash_secret
from app.core.text import name_matches
from app.core.types import utcnow
from app.core.uow import after_commit
from app.events.models import Mode, Series, Session, SessionFormat
from app.extensions import db
from app.orgs.models import Role
from app.registration import services as registration_services
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: a scan time this far in the future is a wrong device clock: use the server's time instead
CLOCK_SKEW = timedelta(minutes=5)


class Reason(enum.StrEnum):
    unreadable = "unreadable"
    unknown_ticket = "unknown_ticket"
    other_org = "other_org"
    revoked = "revoked"
    cancelled = "cancelled"
    not_registered = "not_registered"
    other_series = "other_series"
    waitlisted = "waitlisted"
    not_confirmed = "not_confirmed"
    session_cancelled = "session_cancelled"
    too_early = "too_early"
    closed = "closed"
    no_venue = "no_venue"
    nonce_reused = "nonce_reused"
    synced_too_late = "synced_too_late"


REASON_MESSAGES = {
    Reason.unreadable: _l("This is not a Kakawari ticket."),
    Reason.unknown_ticket: _l("Unknown ticket."),
    Reason.other_org: _l("This ticket is not for this event."),
    Reason.revoked: _l("This ticket was replaced by a newer one."),
    Reason.cancelled: _l("This registration was cancelled."),
    Reason.not_registered: _l("Not registered for this session."),
    Reason.other_series: _l("This ticket is for another series."),
    Reason.waitlisted: _l("Still on the waitlist for this session."),
    Reason.not_confirmed: _l("The lottery for this session has not been drawn yet."),
    Reason.session_cancelled: _l("This session has been cancelled."),
    Reason.too_early: _l("Check-in has not opened yet."),
    Reason.closed: _l("Check-in has closed: the session is over."),
    Reason.no_venue: _l("This session is online only: there is no venue to check in to."),
    Reason.nonce_reused: _l(
        "This scan's key was already used for another scan. Scan the ticket again."
    ),
    Reason.synced_too_late: _l(
        "This offline scan reached the server too long after the session ended: not recorded."
    ),
}


@dataclass
class Verdict:
    status: str  # "ok", "already_checked_in" or "rejected"
    reason: Reason | None = None
    registration: Registration | None = None
    checkin: CheckIn | None = None
    #: "registered_online": let in at the venue, their mode changed
    warning: str | None = None
    #: an offline admission of someone already in: recorded and flagged for the organiser
    duplicate: bool = False
    answers: list = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.reason is Reason.other_series and self.registration is not None:
            # Staff of the same organisation may know which of its series the ticket is for.
            return str(
                _l(
                    "This ticket is for another series: %(series)s.",
                    series=self.registration.series.title,
                )
            )
        if self.reason:
            return str(REASON_MESSAGES[self.reason])
        if self.status == "already_checked_in":
            return str(_l("Already checked in."))
        if self.warning:
            return str(_l("Checked in. Registered online: their mode is now venue."))
        return str(_l("Checked in."))

    def to_dict(self) -> dict:
        reg = self.registration
        place = reg.place_for(self.checkin.session_id) if (reg and self.checkin) else None
        return {
            "status": self.status,
            "reason": self.reason.value if self.reason else None,
            "message": self.message,
            "warning": self.warning,
            "duplicate": self.duplicate,
            "registration": None
            if reg is None
            else {
                "id": reg.id,
                "name": reg.user.name,
                "furigana": reg.user.furigana,
                "mode": (place.mode.value if place else None),
            },
            "checkin_id": self.checkin.id if self.checkin else None,
            "checked_in_at": self.checkin.checked_in_at.isoformat() if self.checkin else None,
            "checked_in_by": (
                self.checkin.staff.name if self.checkin and self.checkin.staff else None
            ),
            "answers": self.answers,
        }


# --- tickets -----------------------------------------------------------------------------------


def valid_ticket(registration: Registration) -> Ticket | None:
    return db.session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.revoked_at.is_(None))
    )


def new_ticket(registration: Registration) -> Ticket:
    """A new ticket with a fresh secret, added to the transaction (the registration has no
    valid one: just made, or its old one revoked)."""
    ticket = Ticket(registration_id=registration.id, secret=secrets.token_urlsafe(20))
    db.session.add(ticket)
    return ticket


def issue_ticket(registration: Registration) -> Ticket:
    """The registration's valid ticket, created when it has none (idempotent). Flushes; the
    caller commits. Issued at the same moment elsewhere, the caller's transaction is rolled
    back and the other ticket returned."""
    ticket = valid_ticket(registration)
    if ticket:
        return ticket
    ticket = new_ticket(registration)
    try:
        db.session.flush()
    except IntegrityError:  # issued at the same moment elsewhere
        db.session.rollback()
        ticket = valid_ticket(registration)
    return ticket


def reissue_ticket(registration: Registration, actor=None) -> Ticket:
    """Revoke the current ticket (e.g. a leaked screenshot) and issue one with a new secret.
    Flushes; the caller commits."""
    revoke_tickets(registration)
    ticket = new_ticket(registration)
    record(
        "ticket.reissued",
        actor=actor,
        subject=registration.user,
        org=registration.series.org,
        registration_id=registration.id,
    )
    db.session.flush()
    return ticket


def revoke_tickets(registration: Registration) -> None:
    """Revoke the registration's valid tickets. Flushes; the caller commits."""
    for ticket in db.session.scalars(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.revoked_at.is_(None))
    ):
        ticket.revoked_at = utcnow()
    db.session.flush()


# --- the verdict -------------------------------------------------------------------------------


def checkin_window(session: Session) -> tuple[datetime, datetime]:
    """When scans are accepted (what the scanner shows too): from the series' opening minutes
    before the session starts until it ends."""
    opens = session.starts_at - timedelta(minutes=session.series.checkin_opens_minutes)
    return opens, session.ends_at


def has_venue(session: Session) -> bool:
    """Only a session held at a venue (venue or hybrid) takes check-ins."""
    return session.format is not SessionFormat.online


def sync_deadline(session: Session) -> datetime:
    """Offline scans of a session reach the server by then (CHECKIN_SYNC_GRACE_HOURS after its
    check-in closed): a phone offline at the venue syncs within hours, not months later."""
    hours = current_app.config.get("CHECKIN_SYNC_GRACE_HOURS", 12)
    return checkin_window(session)[1] + timedelta(hours=hours)


def door_window(session: Session) -> tuple[datetime, datetime]:
    """When staff (role staff) may work a session's check-in: from CHECKIN_STAFF_LEAD_HOURS
    before check-in opens (to download the offline list) until the sync deadline."""
    hours = current_app.config.get("CHECKIN_STAFF_LEAD_HOURS", 24)
    return checkin_window(session)[0] - timedelta(hours=hours), sync_deadline(session)


def at_the_door(session: Session, now: datetime | None = None) -> bool:
    """The session's door window (above) holds `now`."""
    opens, closes = door_window(session)
    return opens <= (now or utcnow()) <= closes


def _answers_for_checkin(registration: Registration) -> list[dict]:
    shown = []
    for q in registration.series.questions:
        if q.show_at_checkin and str(q.id) in registration.answers:
            value = registration.answers[str(q.id)]
            shown.append(
                {"label": q.label, "value": " / ".join(value) if isinstance(value, list) else value}
            )
    return shown


def _standing(session_id: int, registration_id: int) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn)
        .where(
            CheckIn.session_id == session_id,
            CheckIn.registration_id == registration_id,
            CheckIn.standing,
        )
        .options(joinedload(CheckIn.staff))
    )


def _by_nonce(session: Session, nonce: str) -> CheckIn | None:
    """The check-in this nonce made at this session: a nonce means nothing anywhere else."""
    return db.session.scalar(
        select(CheckIn).where(CheckIn.nonce == nonce, CheckIn.session_id == session.id)
    )


def _nonce_used_elsewhere(session: Session, nonce: str) -> bool:
    """The nonce made a check-in at another session of this organisation (a replayed key).
    Other organisations' nonces are not looked at: theirs tell nothing here."""
    return db.session.scalar(
        select(
            select(CheckIn.id)
            .join(Session, Session.id == CheckIn.session_id)
            .join(Series, Series.id == Session.series_id)
            .where(
                CheckIn.nonce == nonce,
                CheckIn.session_id != session.id,
                Series.org_id == session.series.org_id,
            )
            .exists()
        )
    )


def _same_person(existing: CheckIn, secret, registration: Registration | None) -> bool:
    """A retried request names the person its nonce checked in (by ticket or registration)."""
    if registration is not None:
        return registration.id == existing.registration_id
    text = str(secret or "").strip()
    owner = db.session.scalar(select(Ticket.registration_id).where(Ticket.secret == text))
    return owner == existing.registration_id


def _replay(existing: CheckIn) -> Verdict:
    """The answer already given for this nonce (a retried request, a re-sent offline queue)."""
    reg = existing.registration
    if existing.duplicate_of_id:
        first = db.session.get(CheckIn, existing.duplicate_of_id)
        return Verdict("already_checked_in", registration=reg, checkin=first, duplicate=True)
    return Verdict(
        "ok",
        registration=reg,
        checkin=existing,
        warning="registered_online" if existing.mode_changed else None,
        answers=_answers_for_checkin(reg),
    )


def _registration_for_secret(session: Session, secret) -> tuple[Registration | None, Reason | None]:
    text = str(secret or "").strip()
    if not SECRET_PATTERN.match(text):
        return None, Reason.unreadable
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.secret == text)
        .options(joinedload(Ticket.registration).joinedload(Registration.user))
    )
    if ticket is None:
        return None, Reason.unknown_ticket
    registration = ticket.registration
    if registration.series.org_id != session.series.org_id:
        return None, Reason.other_org
    if ticket.revoked_at is not None:
        if registration.status is RegistrationStatus.cancelled:
            return registration, Reason.cancelled
        return registration, Reason.revoked
    return registration, None


def _place_reason(
    session: Session, registration: Registration, place: Place | None
) -> Reason | None:
    if place is None:
        if registration.series_id != session.series_id:
            return Reason.other_series
        return Reason.not_registered
    return {
        PlaceStatus.cancelled: Reason.cancelled,
        PlaceStatus.waitlisted: Reason.waitlisted,
        PlaceStatus.applied: Reason.not_confirmed,
    }.get(place.status)


def decide(
    session: Session,
    staff: User | None,
    *,
    secret=None,
    registration: Registration | None = None,
    nonce: str | None = None,
    scanned_at: datetime | None = None,
    device_id: str = "",
    source: str = "scan",
    admitted_offline: bool = False,
) -> Verdict:
    """Decide a scan (by ticket secret) or a manual check-in (by registration) and record it,
    in the caller's transaction: flushes, the caller commits once. A person registered online
    has their place moved to the venue in that same transaction (registration.services.
    arrived_at_venue), so the check-in and the move are kept together or not at all; `checked_in`
    is sent after the commit.

    Never at a session without a venue. The same nonce at the same session, for the same
    person, answers the verdict it was given; a nonce used at another session of the
    organisation, or for someone else, is refused (`nonce_reused`). An offline scan
    (`source="offline"`) is accepted only when its scan time lies in the check-in window and it
    reaches the server by the session's sync deadline."""
    nonce = (nonce or uuid.uuid4().hex)[:64]
    if not has_venue(session):
        return Verdict("rejected", reason=Reason.no_venue)
    existing = _by_nonce(session, nonce)
    if existing is not None:
        if not _same_person(existing, secret, registration):
            return Verdict("rejected", reason=Reason.nonce_reused)
        return _replay(existing)
    if _nonce_used_elsewhere(session, nonce):
        return Verdict("rejected", reason=Reason.nonce_reused)

    now = utcnow()
    at = scanned_at if scanned_at and scanned_at <= now + CLOCK_SKEW else now
    if registration is None:
        registration, reason = _registration_for_secret(session, secret)
    elif registration.series.org_id != session.series.org_id:
        registration, reason = None, Reason.other_org
    else:
        reason = None
    if reason is None and session.is_cancelled:
        reason = Reason.session_cancelled
    if reason is None:
        opens, closes = checkin_window(session)
        reason = Reason.too_early if at < opens else Reason.closed if at > closes else None
    if reason is None and source == "offline" and now > sync_deadline(session):
        reason = Reason.synced_too_late
    place = registration.place_for(session.id) if registration else None
    if reason is None:
        reason = _place_reason(session, registration, place)
    if reason is not None:
        return Verdict("rejected", reason=reason, registration=registration)

    standing = _standing(session.id, registration.id)
    if standing is not None and standing.nonce == nonce:  # this scan's retry, committed meanwhile
        return _replay(standing)
    if standing is None:
        # The check-in is the transaction's first write: a rollback on a conflict below loses
        # nothing but reads.
        checkin = CheckIn(
            session_id=session.id,
            registration_id=registration.id,
            ticket_id=None,
            staff_id=staff.id if staff else None,
            checked_in_at=at,
            nonce=nonce,
            device_id=str(device_id or "")[:64],
            source=source,
            mode_changed=place.mode is Mode.online,
        )
        db.session.add(checkin)
        try:
            db.session.flush()
        except IntegrityError:  # the other phone was faster, or this nonce is being retried
            db.session.rollback()
            replayed = _by_nonce(session, nonce)
            if replayed is not None:
                if replayed.registration_id != registration.id:
                    return Verdict("rejected", reason=Reason.nonce_reused)
                return _replay(replayed)
            standing = _standing(session.id, registration.id)
        else:
            warning = None
            if checkin.mode_changed:  # in this transaction: both are kept, or neither
                registration_services.arrived_at_venue(registration, session.id, within=True)
                warning = "registered_online"
            after_commit(lambda: checked_in.send(session, checkin=checkin))
            return Verdict(
                "ok",
                registration=registration,
                checkin=checkin,
                warning=warning,
                answers=_answers_for_checkin(registration),
            )

    if admitted_offline and standing is not None:
        # The same ticket was let in on another phone while offline: keep this admission too,
        # flagged, so the organiser sees it; the person still counts once.
        duplicate = CheckIn(
            session_id=session.id,
            registration_id=registration.id,
            staff_id=getattr(staff, "id", None),
            checked_in_at=at,
            nonce=nonce,
            device_id=str(device_id or "")[:64],
            source=source,
            duplicate_of_id=standing.id,
        )
        db.session.add(duplicate)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            replayed = _by_nonce(session, nonce)
            if replayed is not None:
                if replayed.registration_id != registration.id:
                    return Verdict("rejected", reason=Reason.nonce_reused)
                return _replay(replayed)
        return Verdict(
            "already_checked_in", registration=registration, checkin=standing, duplicate=True
        )
    return Verdict("already_checked_in", registration=registration, checkin=standing)


def undo(checkin: CheckIn, staff: User) -> None:
    """Undo a check-in (a wrong tap); twice is a no-op. A check-in that moved an online place
    to the venue gives the online place back (registration.services.undo_arrival), in the same
    transaction. Flushes; the caller commits, then `checkin_undone` is sent."""
    if checkin.undone_at is not None:
        return
    checkin.undone_at = utcnow()
    checkin.undone_by_id = staff.id
    record(
        "checkin.undone",
        actor=staff,
        subject=checkin.registration.user,
        org=checkin.session.series.org,
        session_id=checkin.session_id,
        checkin_id=checkin.id,
    )
    session, moved = checkin.session, checkin.mode_changed and checkin.duplicate_of_id is None
    db.session.flush()  # the transaction's first write: on SQLite the lock below is current
    if moved:  # the place given back in the same transaction
        registration_services.undo_arrival(checkin.registration, checkin.session_id, within=True)
    after_commit(lambda: checkin_undone.send(session, checkin=checkin))


def get_checkin(checkin_id: int, org_id: int | None = None) -> CheckIn:
    checkin = db.session.get(CheckIn, checkin_id)
    if checkin is None or (org_id is not None and checkin.session.series.org_id != org_id):
        raise NotFound()
    return checkin


# --- what the scanner page shows ---------------------------------------------------------------


def status(session: Session) -> dict:
    """Counters for the scanner: expected at the venue, checked in, and so on."""
    expected = db.session.scalar(
        select(func.count())
        .select_from(Place)
        .where(
            Place.session_id == session.id,
            Place.mode == Mode.venue,
            Place.status == PlaceStatus.confirmed,
        )
    )
    rows = db.session.execute(
        select(
            func.count().filter(CheckIn.standing),
            func.count().filter(CheckIn.duplicate_of_id.is_not(None)),
            func.count().filter(CheckIn.mode_changed.is_(True), CheckIn.standing),
        ).where(CheckIn.session_id == session.id, CheckIn.undone_at.is_(None))
    ).one()
    return {
        "expected": expected,
        "checked_in": rows[0],
        "duplicates": rows[1],
        "came_instead_of_online": rows[2],
    }


def offline_list(session: Session) -> list[dict]:
    """What a scanner needs to decide offline: no secrets (only their SHA-256), no emails."""
    rows = db.session.execute(
        select(
            Ticket.secret,
            Registration.id,
            User.name,
            User.furigana,
            Place.mode,
            Place.status,
            CheckIn.id,
        )
        .join(Registration, Registration.id == Ticket.registration_id)
        .join(User, User.id == Registration.user_id)
        .join(Place, (Place.registration_id == Registration.id) & (Place.session_id == session.id))
        .outerjoin(
            CheckIn,
            (CheckIn.registration_id == Registration.id)
            & (CheckIn.session_id == session.id)
            & CheckIn.standing,
        )
        .where(Ticket.revoked_at.is_(None))
    ).all()
    return [
        {
            "hash": hash_secret(secret),
            "registration_id": reg_id,
            "name": name,
            "furigana": furigana,
            "mode": Mode(mode).value,
            "status": PlaceStatus(st).value,
            "checked_in": checkin_id is not None,
        }
        for secret, reg_id, name, furigana, mode, st, checkin_id in rows
    ]


def search(session: Session, query: str, limit: int = 20) -> list[Registration]:
    """People with a place in this session whose name or reading contains the query (from one
    character), or whose email is the query as a whole (case aside): staff at the door find
    people, they do not browse addresses."""
    q = " ".join(str(query or "").split())
    if not q or "\x00" in q:
        return []
    return (
        db.session.scalars(
            select(Registration)
            .join(
                Place, (Place.registration_id == Registration.id) & (Place.session_id == session.id)
            )
            .join(User, User.id == Registration.user_id)
            .where(
                or_(
                    name_matches(User.name, User.furigana, None, q),
                    func.lower(User.email) == q.replace(" ", "").lower(),
                )
            )
            .order_by(User.furigana)
            .limit(limit)
            .options(selectinload(Registration.places), joinedload(Registration.user))
        )
        .unique()
        .all()
    )


# --- who works the door ------------------------------------------------------------------------


def require_at_the_door(session: Session, role: Role, now: datetime | None = None) -> None:
    """Staff (role staff) see a session's check-in only in its door window (door_window()):
    names at the door, not the organisation's lists. Organisers and owners always may."""
    if not role.at_least(Role.organizer) and not at_the_door(session, now):
        raise OutsideCheckinHours()
