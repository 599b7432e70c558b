"""Registering and booking places: a new registration's places, and more sessions booked in an
existing one. Each place is decided under the capacity lock: confirmed when its mode has room,
else last in the waitlist (applied, until a lottery is drawn)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.audit.services import record
from app.core.errors import (
    AlreadyRegistered,
    RegistrationClosed,
    SessionCancelled,
    SessionFull,
    SessionStarted,
    ValidationFailed,
)
from app.core.types import utcnow
from app.events.models import Mode, QuestionKind, Selection, Series, Session
from app.extensions import db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.places import Outcome, announce, place_label, refresh_status
from app.registration.queries import active_registration, registration_window
from app.registration.signals import places_changed, places_changing
from app.registration.unit import joins_unit_of_work
from app.registration.venues import venue_for

ANSWER_MAX = 2000


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


def _venue_of(session: Session, mode: Mode, venues, default) -> int | None:
    """The venue of a venue place: chosen per session (`venues` {session_id: venue_id}), or the
    default when it is one of the session's, or the session's only venue."""
    chosen = venues.get(session.id) if isinstance(venues, dict) else None
    if chosen in (None, "") and default not in (None, ""):
        chosen = default if session.venue(_as_int(default)) is not None else None
    return venue_for(session, mode, chosen)


def _as_int(value):
    try:
        return int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _wanted(sessions, modes, mode, venues, venue_id, errors: dict) -> list:
    """(session, mode, venue_id) for each session; the errors of all of them at once."""
    wanted = []
    for s in sessions:
        m = _collect(errors, _mode_for, s, modes, mode)
        if m is None:
            continue
        v = _collect(errors, _venue_of, s, m, venues, venue_id)
        wanted.append((s, m, v))
    return wanted


def _collect(errors: dict, check, *args):
    """Run one check; its field errors join the others', so a form shows them all at once."""
    try:
        return check(*args)
    except ValidationFailed as exc:
        errors.update(exc.fields)


# --- registering -------------------------------------------------------------------------------


@joins_unit_of_work
def register(
    series: Series,
    user: User,
    *,
    mode=None,
    modes: dict | None = None,
    venue_id=None,
    venues: dict | None = None,
    session_ids=None,
    answers=None,
    consent: bool = False,
    record_consent: bool = False,
    source: str = "self",
    now=None,
) -> Registration:
    """Register `user` for `series`; each place is confirmed, waitlisted or (lottery) applied.

    `mode` is the default for hybrid sessions, `modes` {session_id: mode} overrides it per
    session; a venue place goes to `venues` {session_id: venue_id}, else to `venue_id` when it
    is the session's, else to the session's only venue (サテライト会場: a choice is needed).
    Raises RegistrationNotOpen/Closed, SessionFull (when the series takes no waitlist),
    AlreadyRegistered or ValidationFailed; the edge then rolls back what it wrote. Flushes;
    the edge commits once (the ticket and the mail of "registered" with it).
    """
    now = now or utcnow()
    if source == "self":
        registration_window(series, now)
    errors = {}
    if source == "self" and consent is not True:
        errors["consent"] = [_l("Please agree to the privacy notice to register.")]
    cleaned = _collect(errors, clean_answers, series, answers)
    sessions = _collect(errors, _chosen_sessions, series, session_ids, now)
    wanted = _wanted(sessions or [], modes, mode, venues, venue_id, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    series_id, user_id = series.id, user.id
    lottery = series.selection is Selection.lottery and series.lottery_drawn_at is None

    # The registration and its places are written waiting (applied, for a lottery) and decided
    # under the lock. A second active registration (a double submit, or a later attempt) is
    # refused by the partial unique index: the INSERT does nothing then, and the unit of work
    # stays usable without a savepoint.
    waiting = PlaceStatus.applied if lottery else PlaceStatus.waitlisted
    registration = None

    def write():
        nonlocal registration
        registration = _insert_registration(
            series,
            user,
            wanted,
            waiting,
            answers=cleaned,
            consent_at=now if consent else None,
            record_consent_at=now if record_consent is True else None,
            source=source,
        )
        if registration is None:
            return
        record(
            "registration.created",
            actor=user,
            subject=user,
            org_id=series.org_id,
            series_id=series_id,
            registration_id=registration.id,
            source=source,
        )

    with capacity.locked([s.id for s, _, _ in wanted], keep_loaded=True, prepare=write):
        if registration is None:
            existing = active_registration(series_id, user_id)
            raise AlreadyRegistered(registration_id=existing.id if existing else None)
        if not lottery:
            _decide_new_places(registration.places, series, now)
        refresh_status(registration)
        # the ticket and the mail join this unit of work: committed together, or not at all
        places_changing.send(registration, kind="registered", promoted=[])
        places_changed.send(registration, kind="registered", promoted=[])
    return registration


def _insert_registration(
    series: Series, user: User, wanted, status: PlaceStatus, **columns
) -> Registration | None:
    """INSERT the registration and its places (`wanted`: (session, mode, venue_id)), all in
    `status`, in two statements; or nothing, and None, when the person has an active
    registration for the series already (uq_registration_active). The objects come back
    persistent and linked to the series, person and sessions given, as if loaded: no flush,
    no savepoint, no query to follow them."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    registration = db.session.scalar(
        dialect.insert(Registration)
        .values(
            series_id=series.id,
            user_id=user.id,
            status=RegistrationStatus(status.value),
            cancelled_at=None,
            **columns,
        )
        .on_conflict_do_nothing(
            index_elements=[Registration.series_id, Registration.user_id],
            index_where=text("status <> 'cancelled'"),  # the index's own predicate
        )
        .returning(Registration)
    )
    if registration is None:
        return None
    rows = db.session.scalars(
        insert(Place).returning(Place, sort_by_parameter_order=True),
        [
            {
                "registration_id": registration.id,
                "session_id": s.id,
                "mode": m,
                "venue_id": v,
                "status": status,
            }
            for s, m, v in wanted
        ],
    ).all()
    for place, (session, _mode, venue_id) in zip(rows, wanted, strict=True):
        set_committed_value(place, "registration", registration)
        set_committed_value(place, "session", session)
        set_committed_value(place, "venue", session.venue(venue_id))
    set_committed_value(registration, "places", list(rows))
    set_committed_value(registration, "series", series)
    set_committed_value(registration, "user", user)
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
                    m=place_label(place),
                )
            )


@joins_unit_of_work
def add_sessions(
    registration: Registration,
    modes: dict,
    *,
    venues: dict | None = None,
    venue_id=None,
    now=None,
) -> Outcome:
    """Book more sessions in an existing registration: `modes` is {session_id: mode} (the mode
    matters for hybrid sessions only), `venues` {session_id: venue_id} the venue of a venue
    place (needed where a session has several; `venue_id` for any session it is one of).
    A session never booked gets a new place, a cancelled place is booked again; each is
    decided as a new registration's places are, under the capacity lock: confirmed when its
    queue has room, else last in the waitlist (applied until a lottery is drawn). A session
    already held is left as it is (a second click).

    Raises RegistrationNotOpen/Closed, SessionStarted, SessionCancelled, SessionFull (when the
    series takes no waitlist), AlreadyRegistered (booking in a cancelled registration while
    another is active) or ValidationFailed; the edge then rolls back. Flushes; the edge commits,
    and the listeners hear of the places added after that."""
    now = now or utcnow()
    series = registration.series
    registration_window(series, now)
    sessions = _picked_sessions(series, list(modes or {}), now)
    errors = {}
    chosen = _wanted(sessions, modes, None, venues, venue_id, errors)
    wanted = {s.id: (m, v) for s, m, v in chosen}
    if errors:
        raise ValidationFailed(fields=errors)
    lottery = series.selection is Selection.lottery and series.lottery_drawn_at is None
    waiting = PlaceStatus.applied if lottery else PlaceStatus.waitlisted
    reg_id, user_id = registration.id, registration.user_id
    new = [
        Place(session=s, mode=wanted[s.id][0], venue_id=wanted[s.id][1], status=waiting)
        for s in sessions
        if registration.place_for(s.id) is None
    ]
    again = [p for p in registration.places if p.session_id in wanted and p not in new]
    added = []

    def write():  # new rows: on PostgreSQL written before the lock, invisible until the commit
        with db.session.begin_nested():  # refused (a second click): the unit of work goes on
            registration.places.extend(new)
            db.session.flush()

    try:
        with capacity.locked(wanted, keep_loaded=True, prepare=write), db.session.begin_nested():
            for place in again:  # every change of a place happens under its session's lock
                db.session.refresh(place)
                if place.status is PlaceStatus.cancelled:
                    place.mode, place.venue_id = wanted[place.session_id]
                    place.status = waiting
                    db.session.expire(place, ["venue"])
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
