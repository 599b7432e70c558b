"""Registration rules: who gets a place, who waits, lotteries, switching and cancelling.

Guarantees (tested against a running server on PostgreSQL):
- never more confirmed places than a session's capacity for a mode, whatever runs at once
  (every change happens under capacity.locked());
- one active registration per person per series (and a partial unique index behind it);
- a freed place goes at once to the first person waiting for that session and mode.
"""

import logging
import random
import secrets
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.core.errors import (
    AlreadyRegistered,
    NotFound,
    PermissionDenied,
    RegistrationClosed,
    RegistrationNotOpen,
    SessionCancelled,
    SessionFull,
    SessionStarted,
    ValidationFailed,
)
from app.core.types import utcnow
from app.core.uow import after_commit
from app.events.models import Mode, QuestionKind, Selection, Series, SeriesStatus, Session
from app.events.signals import session_changed
from app.extensions import commit_keeping_loaded, db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.signals import places_changed

ANSWER_MAX = 2000

log = logging.getLogger("kakawari.registration")


@dataclass
class Outcome:
    """What a change did, for the notifications sent after it committed."""

    registration: Registration | None = None
    promoted: list[Place] = field(default_factory=list)


# --- reading -----------------------------------------------------------------------------------


def active_registration(series_id: int, user_id: int) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.series_id == series_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


def user_registrations(user: User) -> list[Registration]:
    """The person's registrations, newest first, with places, sessions and series loaded."""
    return db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user.id)
        .order_by(Registration.created_at.desc())
        .options(
            selectinload(Registration.places).selectinload(Place.session),
            selectinload(Registration.series),
        )
    ).all()


def registration_status(places) -> RegistrationStatus:
    statuses = {p.status for p in places}
    for status in (PlaceStatus.confirmed, PlaceStatus.applied, PlaceStatus.waitlisted):
        if status in statuses:
            return RegistrationStatus(status.value)
    return RegistrationStatus.cancelled


def refresh_status(registration: Registration) -> None:
    """The one transition of a registration's status: derived from its places."""
    registration.status = registration_status(registration.places)
    if registration.status is RegistrationStatus.cancelled and registration.cancelled_at is None:
        registration.cancelled_at = utcnow()
    elif registration.status is not RegistrationStatus.cancelled:
        registration.cancelled_at = None  # a session booked again after cancelling them all


def own_registration(registration_id: int, user: User, options=()) -> Registration:
    """`user`'s registration; someone else's, like one that does not exist, is NotFound."""
    registration = db.session.get(Registration, registration_id, options=list(options))
    if registration is None or registration.user_id != user.id:
        raise NotFound()
    return registration


def registration_window(series: Series, now=None) -> None:
    """Raises unless registration is open now."""
    now = now or utcnow()
    if series.status is not SeriesStatus.published:
        raise NotFound()
    if series.registration_opens_at and now < series.registration_opens_at:
        raise RegistrationNotOpen()
    if series.registration_closes_at and now >= series.registration_closes_at:
        raise RegistrationClosed()
    if series.selection is Selection.lottery and series.lottery_drawn_at:
        raise RegistrationClosed()


# --- validation of a registration request -----------------------------------------------------


def clean_answers(series: Series, answers) -> dict:
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationFailed(fields={"answers": [_l("Answers must be an object.")]})
    cleaned, errors = {}, {}
    for q in series.questions:
        key = str(q.id)
        value = answers.get(key, answers.get(q.id))
        if q.kind is QuestionKind.text:
            text = str(value or "").strip() if not isinstance(value, list | dict) else None
            if text is None or len(text) > ANSWER_MAX or "\x00" in text:
                errors[key] = [_l("Answer with text of at most %(n)d characters.", n=ANSWER_MAX)]
            elif text:
                cleaned[key] = text
        elif q.kind is QuestionKind.single:
            if value in (None, ""):
                value = None
            elif value not in q.options:
                errors[key] = [_l("Choose one of the options.")]
            if value is not None and key not in errors:
                cleaned[key] = value
        else:
            values = value if isinstance(value, list) else ([] if value in (None, "") else None)
            if values is None or any(v not in q.options for v in values):
                errors[key] = [_l("Choose from the options.")]
            elif values:
                cleaned[key] = [o for o in q.options if o in values]
        if q.required and key not in cleaned and key not in errors:
            errors[key] = [_l("This question needs an answer.")]
    if errors:
        raise ValidationFailed(fields={f"answers.{k}": v for k, v in errors.items()})
    return cleaned


def _chosen_sessions(series: Series, session_ids, now) -> list[Session]:
    upcoming = [s for s in series.sessions if not s.is_cancelled and s.starts_at > now]
    if series.scope.value == "series":
        if not upcoming:
            raise RegistrationClosed(_l("This series has no upcoming sessions."))
        return upcoming
    return _picked_sessions(series, session_ids, now)


def _picked_sessions(series: Series, session_ids, now) -> list[Session]:
    """The sessions a person picked: of this series, not cancelled, not started yet."""
    if not session_ids:
        raise ValidationFailed(fields={"session_ids": [_l("Choose at least one session.")]})
    by_id = {s.id: s for s in series.sessions}
    chosen = []
    for sid in session_ids:
        session = by_id.get(sid)
        if session is None:
            raise ValidationFailed(fields={"session_ids": [_l("Choose sessions of this series.")]})
        if session.is_cancelled:
            raise SessionCancelled()
        if session.starts_at <= now:
            raise SessionStarted()
        if session not in chosen:
            chosen.append(session)
    return chosen


def _mode_for(session: Session, modes, default) -> Mode:
    wanted = modes.get(session.id, default) if isinstance(modes, dict) else (modes or default)
    if len(session.modes) == 1:
        return session.modes[0]
    try:
        mode = Mode(wanted)
    except ValueError:
        raise ValidationFailed(
            fields={"mode": [_l("Choose venue or online for %(s)s.", s=session.title)]}
        ) from None
    return mode


def _collect(errors: dict, check, *args):
    """Run one check; its field errors join the others', so a form shows them all at once."""
    try:
        return check(*args)
    except ValidationFailed as exc:
        errors.update(exc.fields)


# --- registering -------------------------------------------------------------------------------


def register(
    series: Series,
    user: User,
    *,
    mode=None,
    modes: dict | None = None,
    session_ids=None,
    answers=None,
    consent: bool = False,
    source: str = "self",
    now=None,
) -> Registration:
    """Register `user` for `series`; each place is confirmed, waitlisted or (lottery) applied.

    `mode` is the default for hybrid sessions, `modes` {session_id: mode} overrides it per
    session. Raises RegistrationNotOpen/Closed, SessionFull (when the series takes no waitlist),
    AlreadyRegistered or ValidationFailed, and then writes nothing.
    """
    now = now or utcnow()
    if source == "self":
        registration_window(series, now)
    errors = {}
    if source == "self" and consent is not True:
        errors["consent"] = [_l("Please agree to the privacy notice to register.")]
    cleaned = _collect(errors, clean_answers, series, answers)
    sessions = _collect(errors, _chosen_sessions, series, session_ids, now)
    if errors:
        raise ValidationFailed(fields=errors)
    wanted = [(s, _mode_for(s, modes, mode)) for s in sessions]
    series_id, user_id = series.id, user.id
    lottery = series.selection is Selection.lottery and series.lottery_drawn_at is None

    # The registration and its places are written waiting (applied, for a lottery) and decided
    # under the lock; a second active registration is refused by the partial unique index
    # (IntegrityError), whether a double submit or a later attempt.
    waiting = PlaceStatus.applied if lottery else PlaceStatus.waitlisted
    registration = Registration(
        series=series,
        user=user,
        answers=cleaned,
        consent_at=now if consent else None,
        source=source,
        status=RegistrationStatus(waiting.value),
        places=[Place(session=s, mode=m, status=waiting) for s, m in wanted],
    )

    def write():
        db.session.add(registration)
        db.session.flush()
        record(
            "registration.created",
            actor=user,
            subject=user,
            org_id=series.org_id,
            series_id=series_id,
            registration_id=registration.id,
            source=source,
        )

    try:
        with capacity.locked([s.id for s, _ in wanted], keep_loaded=True, prepare=write):
            if not lottery:
                _decide_new_places(registration.places, series, now)
            refresh_status(registration)
            # the ticket and the mail join this transaction: written together, or not at all
            places_changed.send(registration, kind="registered", promoted=[])
    except IntegrityError:
        existing = active_registration(series_id, user_id)
        raise AlreadyRegistered(registration_id=existing.id if existing else None) from None
    return registration


def _decide_new_places(places, series: Series, now) -> None:
    """Under the lock: each new place is confirmed when its mode has room, or else waits, last
    in line (capacity.decide); a series without a waitlist refuses it (SessionFull), and the
    caller's transaction is rolled back."""
    for place in places:
        status = capacity.decide(place, place.session, now)
        if status is PlaceStatus.waitlisted and not series.waitlist_enabled:
            raise SessionFull(
                _l(
                    "%(s)s is full (%(m)s) and takes no waitlist.",
                    s=place.session.title,
                    m=mode_label(place.mode),
                )
            )


def sessions_to_add(registration: Registration, now=None) -> list[Session]:
    """Sessions of the series the person can still book: not started, not cancelled, and not
    held by this registration (never booked, also ones added later, or cancelled)."""
    now = now or utcnow()
    return [
        s
        for s in registration.series.sessions
        if not s.is_cancelled
        and s.starts_at > now
        and getattr(registration.place_for(s.id), "status", None) in (None, PlaceStatus.cancelled)
    ]


def add_sessions(registration: Registration, modes: dict, *, now=None) -> Outcome:
    """Book more sessions in an existing registration: `modes` is {session_id: mode} (the mode
    matters for hybrid sessions only). A session never booked gets a new place, a cancelled
    place is booked again; each is decided as a new registration's places are, under the
    capacity lock: confirmed when its mode has room, else last in the waitlist (applied until
    a lottery is drawn). A session already held is left as it is (a second click).

    Raises RegistrationNotOpen/Closed, SessionStarted, SessionCancelled, SessionFull (when the
    series takes no waitlist), AlreadyRegistered (booking in a cancelled registration while
    another is active) or ValidationFailed, and then writes nothing."""
    now = now or utcnow()
    series = registration.series
    registration_window(series, now)
    sessions = _picked_sessions(series, list(modes or {}), now)
    wanted = {s.id: _mode_for(s, modes, None) for s in sessions}
    lottery = series.selection is Selection.lottery and series.lottery_drawn_at is None
    waiting = PlaceStatus.applied if lottery else PlaceStatus.waitlisted
    reg_id, user_id = registration.id, registration.user_id
    new = [
        Place(session=s, mode=wanted[s.id], status=waiting)
        for s in sessions
        if registration.place_for(s.id) is None
    ]
    again = [p for p in registration.places if p.session_id in wanted and p not in new]
    added = []

    def write():  # new rows: on PostgreSQL written before the lock, invisible until the commit
        registration.places.extend(new)
        db.session.flush()

    try:
        with capacity.locked(wanted, keep_loaded=True, prepare=write):
            for place in again:  # every change of a place happens under its session's lock
                db.session.refresh(place)
                if place.status is PlaceStatus.cancelled:
                    place.mode, place.status = wanted[place.session_id], waiting
                    place.cancelled_at = place.confirmed_at = None
                    added.append(place)
            added += new
            db.session.flush()
            if not lottery:
                _decide_new_places(added, series, now)
            db.session.scalars(  # the other places as they stand now, for the summary
                select(Place)
                .where(Place.registration_id == reg_id)
                .execution_options(populate_existing=True)
            ).all()
            refresh_status(registration)
            db.session.flush()
            record(
                "registration.sessions_added",
                actor=registration.user,
                subject=registration.user,
                org_id=series.org_id,
                registration_id=reg_id,
                session_ids=[p.session_id for p in added],
            )
    except IntegrityError:
        # the same sessions booked by a second click at the same moment, or this cancelled
        # registration revived while another one of the person is active
        other = active_registration(series.id, user_id)
        if other is not None and other.id != reg_id:
            raise AlreadyRegistered(registration_id=other.id) from None
        return Outcome(registration=db.session.get(Registration, reg_id))
    if added:
        announce(registration, "added", places=added)
    return Outcome(registration=registration)


def announce(registration: Registration, kind: str, promoted=(), **extra) -> None:
    """Tell the listeners (tickets, emails) of a change that has committed. What they write
    (a ticket, the queued mails) is committed together, once, keeping what is loaded for the
    answer; a listener that fails is logged, and the change stands."""
    try:
        places_changed.send(registration, kind=kind, promoted=list(promoted), **extra)
        commit_keeping_loaded()
    except Exception:
        log.exception("After %s registration %s", kind, registration.id)
        db.session.rollback()


def mode_label(mode: Mode):
    return {Mode.venue: _l("venue"), Mode.online: _l("online")}[Mode(mode)]


def promote_from_waitlist(session: Session, mode: Mode, now=None) -> list[Place]:
    """Confirm waiting people, first in line first, while the mode has room.

    Must run inside capacity.locked() for this session.
    """
    now = now or utcnow()
    if session.is_cancelled:
        return []
    confirmed = capacity.confirmed_counts([session.id]).get((session.id, mode), 0)
    promoted = []
    for place in capacity.waitlist(session.id, mode):
        if not capacity.has_room(session, mode, confirmed):
            break
        place.status = PlaceStatus.confirmed
        place.confirmed_at = now
        confirmed += 1
        refresh_status(place.registration)
        promoted.append(place)
    return promoted


def _own_place(registration: Registration, session_id: int) -> Place:
    place = registration.place_for(session_id)
    if place is None or place.status is PlaceStatus.cancelled:
        raise NotFound()
    return place


def cancel(
    registration: Registration, *, session_id: int | None = None, actor=None, now=None
) -> Outcome:
    """Cancel one session's place or the whole registration; freed places are passed on."""
    now = now or utcnow()
    if session_id is not None:
        targets = [_own_place(registration, session_id)]
        if targets[0].session.starts_at <= now:
            raise SessionStarted()
    else:  # the whole registration: places of sessions already held stay, as history
        targets = [
            p
            for p in registration.places
            if p.status is not PlaceStatus.cancelled and p.session.starts_at > now
        ]
    wanted = {p.id for p in targets}
    outcome = Outcome(registration=registration)
    reg_id = registration.id
    with capacity.locked([p.session_id for p in targets]):
        registration = db.session.get(Registration, reg_id)
        freed = set()
        for place in registration.places:
            if place.id not in wanted or place.status is PlaceStatus.cancelled:
                continue
            if place.status is PlaceStatus.confirmed:
                freed.add((place.session, place.mode))
            place.status = PlaceStatus.cancelled
            place.cancelled_at = now
        refresh_status(registration)
        for session, m in sorted(freed, key=lambda x: (x[0].id, x[1])):
            outcome.promoted += promote_from_waitlist(session, m, now)
        record(
            "registration.cancelled",
            actor=actor,
            subject=registration.user,
            org=registration.series.org,
            registration_id=reg_id,
            session_id=session_id,
        )
    outcome.registration = registration
    announce(registration, "cancelled", outcome.promoted)
    return outcome


def release_places_of(user: User, now=None) -> list[Outcome]:
    """A deleted account's places in sessions not started yet are cancelled, each freed place
    going to the first person waiting for it; places of sessions held stay, as history. In the
    caller's transaction, under the capacity lock (capacity.hold); the caller commits, then
    announces each Outcome."""
    now = now or utcnow()
    upcoming = (
        select(Place)
        .join(Place.registration)
        .join(Place.session)
        .where(
            Registration.user_id == user.id,
            Place.status != PlaceStatus.cancelled,
            Session.starts_at > now,
        )
        .order_by(Place.id)
    )
    session_ids = db.session.scalars(upcoming.with_only_columns(Place.session_id)).all()
    if not session_ids:
        return []
    capacity.hold(session_ids)
    by_registration: dict[int, list[Place]] = {}
    for place in db.session.scalars(upcoming.execution_options(populate_existing=True)):
        by_registration.setdefault(place.registration_id, []).append(place)
    outcomes = []
    for places in by_registration.values():
        registration = places[0].registration
        freed = {(p.session, p.mode) for p in places if p.status is PlaceStatus.confirmed}
        for place in places:
            place.status = PlaceStatus.cancelled
            place.cancelled_at = now
        refresh_status(registration)
        db.session.flush()
        outcome = Outcome(registration=registration)
        for session, m in sorted(freed, key=lambda x: (x[0].id, x[1])):
            outcome.promoted += promote_from_waitlist(session, m, now)
        record(
            "registration.cancelled",
            actor=user,
            subject=user,
            org_id=registration.series.org_id,
            registration_id=registration.id,
            reason="account_deleted",
            promoted=len(outcome.promoted),
        )
        outcomes.append(outcome)
    db.session.flush()
    return outcomes


def switch_mode(registration: Registration, session_id: int, new_mode, *, now=None) -> Outcome:
    """Move a confirmed place to the other mode when that mode has room (the old place goes to
    the first person waiting for it); a waiting place simply queues for the other mode."""
    now = now or utcnow()
    try:
        new_mode = Mode(new_mode)
    except ValueError:
        raise ValidationFailed(fields={"mode": [_l("Choose venue or online.")]}) from None
    place = _own_place(registration, session_id)
    if place.session.starts_at <= now:
        raise SessionStarted()
    if new_mode not in place.session.modes:
        raise ValidationFailed(fields={"mode": [_l("This session is not held that way.")]})
    if new_mode is place.mode:
        return Outcome(registration=registration)
    outcome = Outcome(registration=registration)
    place_id = place.id
    with capacity.locked([session_id]):
        place = db.session.get(Place, place_id)
        session, old_mode = place.session, place.mode
        if place.status is PlaceStatus.confirmed:
            taken = capacity.confirmed_counts([session_id]).get((session_id, new_mode), 0)
            if not capacity.has_room(session, new_mode, taken):
                raise SessionFull(
                    _l("There is no room %(m)s for this session.", m=mode_label(new_mode))
                )
            place.mode = new_mode
            db.session.flush()
            outcome.promoted = promote_from_waitlist(session, old_mode, now)
        else:
            place.mode = new_mode  # waiting or applied: now last in the other queue
            place.queue_key = capacity.next_queue_key(session_id)
            db.session.flush()
            outcome.promoted = promote_from_waitlist(session, new_mode, now)
        record(
            "registration.mode_switched",
            subject=registration.user,
            org=registration.series.org,
            registration_id=registration.id,
            session_id=session_id,
            old=old_mode.value,
            new=new_mode.value,
        )
    outcome.registration = place.registration
    announce(place.registration, "mode_switched", outcome.promoted)
    return outcome


def arrived_at_venue(
    registration: Registration, session_id: int, now=None, *, within: bool = False
) -> Outcome:
    """Someone registered online came to the venue and was let in: their place becomes a venue
    place (even beyond the venue's capacity: they are in the room) and their online place goes
    to the first person waiting online. `within`: in the caller's transaction, which has
    written already (the check-in); see _move_held_place."""
    place_id = _own_place(registration, session_id).id
    return _move_held_place(
        registration,
        place_id,
        session_id,
        Mode.venue,
        "registration.arrived_at_venue",
        now,
        within=within,
    )


def undo_arrival(
    registration: Registration, session_id: int, now=None, *, within: bool = False
) -> Outcome:
    """A check-in that moved an online place to the venue was undone (a wrong tap): the place is
    online again, even beyond the online capacity (the person held it before the mistake), and
    the venue place it leaves goes to the first person waiting for the venue. `within`: in the
    caller's transaction (the undone check-in), see _move_held_place."""
    held = registration.place_for(session_id)
    if held is None:
        return Outcome(registration=registration)
    return _move_held_place(
        registration,
        held.id,
        session_id,
        Mode.online,
        "registration.arrival_undone",
        now,
        within=within,
    )


def _move_held_place(
    registration: Registration,
    place_id: int,
    session_id: int,
    to: Mode,
    event: str,
    now=None,
    *,
    within: bool = False,
) -> Outcome:
    """Move a held place to mode `to` whatever that mode's capacity (the person is, or was,
    in it already) and give the place it leaves to the first person waiting for that mode;
    under the session's lock. Nothing happens to a cancelled place, one already in `to`, or
    when the session has no `to`.

    `within`: the lock is taken in the caller's transaction (capacity.hold, which has written
    already) and kept until the caller commits; the listeners hear of it after that commit.
    Otherwise the move is its own transaction (capacity.locked) and is announced at once."""
    now = now or utcnow()
    outcome = Outcome(registration=registration)
    if within:
        capacity.hold([session_id])
        place = _move_place(place_id, session_id, to, event, now, outcome)
        if place is not None:
            after_commit(lambda: announce(place.registration, "switched", outcome.promoted))
        return outcome
    with capacity.locked([session_id]):
        place = _move_place(place_id, session_id, to, event, now, outcome)
    if place is not None:
        announce(place.registration, "switched", outcome.promoted)
    return outcome


def _move_place(place_id, session_id, to: Mode, event: str, now, outcome: Outcome):
    """The move itself, under the lock; the place moved, or None when there was nothing to do."""
    place = db.session.get(Place, place_id, populate_existing=True)
    if place.status is PlaceStatus.cancelled or place.mode is to or to not in place.session.modes:
        return None
    left = place.mode
    place.mode = to
    db.session.flush()
    outcome.promoted = promote_from_waitlist(place.session, left, now)
    record(
        event,
        subject=place.registration.user,
        org=place.session.series.org,
        registration_id=place.registration_id,
        session_id=session_id,
    )
    return place


def capacity_changed(session: Session, now=None) -> list[Place]:
    """After an organiser raises a capacity: give the new places to people waiting."""
    promoted = []
    with capacity.locked([session.id]):
        session = db.session.get(Session, session.id)
        for m in session.modes:
            promoted += promote_from_waitlist(session, m, now)
    for place in promoted:
        announce(place.registration, "promoted", [place])
    return promoted


# --- lottery -----------------------------------------------------------------------------------


def draw_lottery(series: Series, *, seed: str | None = None, actor=None, now=None) -> dict:
    """Draw a lottery series: registrations in a uniformly random order (seeded, the seed is
    recorded) take places in that order; the rest wait in that order. Everyone is told."""
    now = now or utcnow()
    if series.selection is not Selection.lottery:
        raise PermissionDenied(_l("This series is first come, first served."))
    if series.lottery_drawn_at is not None:
        raise RegistrationClosed(_l("The lottery has already been drawn."))
    seed = seed or secrets.token_hex(16)
    series_id = series.id
    session_ids = [s.id for s in series.sessions]
    with capacity.locked(session_ids):
        series = db.session.get(Series, series_id)
        registrations = db.session.scalars(
            select(Registration)
            .where(
                Registration.series_id == series_id,
                Registration.status == RegistrationStatus.applied,
            )
            .order_by(Registration.id)
            .options(selectinload(Registration.places).selectinload(Place.session))
        ).all()
        order = list(registrations)
        random.Random(seed).shuffle(order)  # noqa: S311 -- fairness, not secrecy; seed recorded
        counts = capacity.confirmed_counts(session_ids)
        for rank, registration in enumerate(order, start=1):
            for place in registration.places:
                if place.status is not PlaceStatus.applied:
                    continue
                key = (place.session_id, place.mode)
                if capacity.has_room(place.session, place.mode, counts.get(key, 0)):
                    place.status = PlaceStatus.confirmed
                    place.confirmed_at = now
                    counts[key] = counts.get(key, 0) + 1
                else:
                    place.status = PlaceStatus.waitlisted
                place.queue_key = rank  # anyone added later comes after (next_queue_key)
            refresh_status(registration)
        series.lottery_drawn_at = now
        series.lottery_seed = seed
        record(
            "series.lottery_drawn",
            actor=actor,
            org=series.org,
            series_id=series_id,
            seed=seed,
            entries=len(order),
        )
    for registration in order:
        announce(registration, "lottery")
    won = sum(1 for r in order if r.status is RegistrationStatus.confirmed)
    return {"entries": len(order), "won": won, "seed": seed}


def due_lotteries(now=None) -> list[Series]:
    now = now or utcnow()
    return db.session.scalars(
        select(Series).where(
            Series.selection == Selection.lottery,
            Series.status == SeriesStatus.published,
            Series.lottery_drawn_at.is_(None),
            Series.registration_closes_at.is_not(None),
            Series.registration_closes_at <= now,
        )
    ).all()


@session_changed.connect
def _on_session_changed(session: Session, changes: set[str]):
    """A raised capacity gives its new places to the people waiting, at once."""
    if "capacity" in changes and not session.is_cancelled:
        capacity_changed(session)
