"""Venue check-in: the one place that decides whether a ticket admits someone to a session,
and records it.

`decide()` is called by the scanner page, the manual search, the API and the offline sync. Whether
the person may be admitted is `rules.reject_reason()` (pure: no query, no write); `decide()` finds
the person, asks it, and writes. It is idempotent by nonce within a session (a nonce is looked up
only in the session being scanned; one used at another session of the organisation is refused),
keeps the device's scan time, and is safe when two phones scan the same ticket at once: the
partial unique index on standing check-ins lets exactly one in, and the other answer is "already
checked in". Only sessions with a venue take check-ins; offline scans are accepted only as the
scanner could have made them.

Tickets are in checkin.tickets, the door's reads in checkin.queries; their names are importable
from here too, as they always were.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.audit.services import record
from app.checkin.models import CheckIn
from app.checkin.queries import ScanFacts, get_checkin, offline_list, scan_facts, search, status
from app.checkin.rules import (
    CLOCK_SKEW,
    OVERRIDABLE,
    REASON_MESSAGES,
    Reason,
    at_the_door,
    checkin_window,
    door_venue,
    door_window,
    has_venue,
    reject_reason,
    require_at_the_door,
    scan_time,
    sync_deadline,
)
from app.checkin.signals import check_in_recorded, checked_in, checkin_undone
from app.checkin.tickets import (
    issue_ticket,
    new_ticket,
    reissue_ticket,
    revoke_tickets,
    valid_ticket,
)
from app.core.types import utcnow
from app.core.uow import after_commit
from app.events.models import Mode, Session
from app.extensions import db
from app.registration import services as registration_services
from app.registration.models import Place, Registration, RegistrationStatus

__all__ = [
    "CLOCK_SKEW",
    "REASON_MESSAGES",
    "SECRET_PATTERN",
    "Reason",
    "Verdict",
    "at_the_door",
    "checkin_window",
    "decide",
    "door_venue",
    "door_window",
    "get_checkin",
    "has_venue",
    "issue_ticket",
    "new_ticket",
    "offline_list",
    "reissue_ticket",
    "reject_reason",
    "require_at_the_door",
    "revoke_tickets",
    "search",
    "status",
    "sync_deadline",
    "undo",
    "valid_ticket",
]

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


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
    #: the registration's place in the session, when the decision read it (else looked up)
    place: Place | None = None
    #: `wrong_venue`: the venue the ticket is for (サテライト会場), named in the red verdict
    ticket_venue: str | None = None

    @property
    def overridable(self) -> bool:
        """Staff may let the person in here anyway, with one tap (logged): 「この会場で受付」."""
        return self.reason in OVERRIDABLE and self.registration is not None

    @property
    def message(self) -> str:
        if self.reason is Reason.wrong_venue and self.ticket_venue:
            return str(_l("This ticket is for %(venue)s.", venue=self.ticket_venue))
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
        place = None
        if reg and self.checkin:
            place = self.place or reg.place_for(self.checkin.session_id)
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
            "checked_in_venue": _venue_name(self.checkin),
            "venue_override": bool(self.checkin and self.checkin.venue_override),
            "ticket_venue": self.ticket_venue,
            "overridable": self.overridable,
            "answers": self.answers,
        }


def _venue_name(checkin: CheckIn | None) -> str | None:
    """Where a check-in was made, from its session's venues (loaded with the session)."""
    if checkin is None or checkin.venue_id is None:
        return None
    venue = checkin.session.venue(checkin.venue_id)
    return venue.name if venue is not None else None


def _answers_for_checkin(registration: Registration) -> list[dict]:
    if not registration.answers:
        return []  # nothing answered: the series' questions need not be read
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


def _person_reason(session: Session, facts: ScanFacts, secret, registration) -> Reason | None:
    """Why the ticket itself admits nobody: unreadable, unknown, another organisation's,
    revoked or cancelled."""
    if registration is not None:
        return None
    if facts.registration is None:
        return Reason.unreadable if secret is None else Reason.unknown_ticket
    if facts.registration.series.org_id != session.series.org_id:
        return Reason.other_org
    if facts.ticket_revoked:
        if facts.registration.status is RegistrationStatus.cancelled:
            return Reason.cancelled
        return Reason.revoked
    return None


def _as_committed(*objects):
    """A function that gives `objects` back the column values they hold now, as committed
    (the commit expires everything loaded): what listeners read of them needs no reload."""
    kept = []
    for obj in objects:
        state = inspect(obj)
        columns = state.mapper.column_attrs.keys()
        kept.append((obj, {key: state.dict[key] for key in columns if key in state.dict}))

    def restore() -> None:
        for obj, values in kept:
            for key, value in values.items():
                set_committed_value(obj, key, value)

    return restore


def _announce_after_commit(session: Session, checkin: CheckIn, registration: Registration):
    """`checked_in`, once the check-in committed. The session, the check-in and its person are
    handed on as this transaction wrote and read them (attendance, which listens, reads no row
    again to learn that the session has not started yet)."""
    as_committed = _as_committed(session, checkin, registration)

    def announce() -> None:
        as_committed()
        checked_in.send(session, checkin=checkin)

    after_commit(announce)


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
    venue_id: int | None = None,
    override: bool = False,
    note: str = "",
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
    reaches the server by the session's sync deadline.

    サテライト会場: the check-in is made at `venue_id` (the scanner's venue; the session's only
    venue when none is given; ValidationFailed for a session of several without one). A
    confirmed place at another venue is `wrong_venue`, naming that venue, unless `override`
    (staff tapped 「この会場で受付」): then the person is let in here, the check-in says so
    and the organisation's log records who let them in, at which venue, and why (`note`).
    Someone registered online is let in at any venue, their place moved there."""
    nonce = (nonce or uuid.uuid4().hex)[:64]
    if not has_venue(session):
        return Verdict("rejected", reason=Reason.no_venue)
    venue = door_venue(session, venue_id)
    text = None
    if registration is None:
        text = str(secret or "").strip()
        text = text if SECRET_PATTERN.match(text) else None
    facts = scan_facts(session, nonce, secret=text, registration=registration)
    if facts.nonce_checkin_id is not None:
        # a retried request names the person its nonce checked in (by ticket or registration)
        named = facts.registration.id if facts.registration is not None else None
        if named != facts.nonce_registration_id:
            return Verdict("rejected", reason=Reason.nonce_reused)
        return _replay(db.session.get(CheckIn, facts.nonce_checkin_id))
    if facts.nonce_elsewhere:
        return Verdict("rejected", reason=Reason.nonce_reused)

    now = utcnow()
    at = scan_time(scanned_at, now)
    reason = _person_reason(session, facts, text, registration)
    if reason is Reason.other_org:
        # another organisation's person: nothing of them is shown
        return Verdict("rejected", reason=reason)
    registration = registration if registration is not None else facts.registration
    place = facts.place
    if reason is None:
        reason = reject_reason(
            session, registration, place, at, offline=source == "offline", now=now, venue=venue
        )
    if reason is Reason.other_org:
        registration = None  # another organisation's person: nothing of them is shown
    overriding = reason in OVERRIDABLE and override
    if reason is not None and not overriding:
        ticket_venue = None
        if reason is Reason.wrong_venue:
            ticket_venue = session.venue(place.venue_id).name
        return Verdict(
            "rejected", reason=reason, registration=registration, ticket_venue=ticket_venue
        )

    standing = facts.standing
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
            venue_id=venue.id,
            venue_override=overriding,
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
                _arrived_at(venue, registration, place)
                warning = "registered_online"
            if overriding:
                log_venue_override(checkin, session, venue, registration, place, staff, note)
            check_in_recorded.send(session, checkin=checkin, undone=False)
            _announce_after_commit(session, checkin, registration)
            return Verdict(
                "ok",
                registration=registration,
                checkin=checkin,
                warning=warning,
                answers=_answers_for_checkin(registration),
                place=place,
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
            venue_id=venue.id,
            venue_override=overriding,
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
            "already_checked_in",
            registration=registration,
            checkin=standing,
            duplicate=True,
            place=place,
        )
    return Verdict("already_checked_in", registration=registration, checkin=standing, place=place)


def _arrived_at(venue, registration: Registration, place: Place) -> None:
    """Someone registered online was let in at `venue`: their place becomes a place there, in
    the check-in's transaction (registration.services.arrived_at_venue, under the session's
    lock, which it holds until the commit)."""
    registration_services.arrived_at_venue(
        registration, venue.session_id, within=True, venue_id=venue.id
    )


def log_venue_override(
    checkin: CheckIn, session: Session, venue, registration, place: Place, staff, note: str
) -> None:
    """A ticket for another venue let in here (「この会場で受付」): who, where, and why, in the
    organisation's log, in the check-in's transaction. The place stays where it was booked."""
    ticket_venue = session.venue(place.venue_id)
    record(
        "checkin.venue_override",
        actor=staff,
        subject=registration.user,
        org_id=session.series.org_id,
        session_id=checkin.session_id,
        checkin_id=checkin.id,
        venue_id=venue.id,
        venue=venue.name,
        ticket_venue_id=place.venue_id,
        ticket_venue=ticket_venue.name if ticket_venue is not None else "",
        reason=Reason.wrong_venue.value,
        note=note,
        source=checkin.source,
    )


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
    check_in_recorded.send(session, checkin=checkin, undone=True)
    after_commit(lambda: checkin_undone.send(session, checkin=checkin))
