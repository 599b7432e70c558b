"""Places per session and mode: the lock, the counts, and the waitlist order.

Every change of who holds a place runs inside `locked(session_ids)` (or after `hold()`), in the
caller's unit of work, which takes the sessions' rows as a lock before anything is counted:
`SELECT … FOR UPDATE` in id order on PostgreSQL (no deadlocks between overlapping sets), and an
UPDATE of the same rows on SQLite, which makes the transaction the single writer from its first
statement. Counting then writing under that lock
is what keeps "never more confirmed than capacity" true whatever runs at once.

The lock is always taken: no configuration or environment variable switches it off. Only the
control experiment (tests/concurrency/gunicorn_conf.py, for the tests that show the race
happens without it, and the benchmark's --unlocked run) does, by calling
unlock_for_control_experiment() on its server's app.
"""

import time
from collections import defaultdict
from contextlib import contextmanager
from functools import cache

from flask import current_app
from sqlalchemy import Integer, bindparam, case, func, null, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.core.types import UTCDateTime
from app.events.models import Mode, Session
from app.extensions import db
from app.registration.models import Place, PlaceStatus

#: app.extensions key present only in a control experiment's server: the lock is off, and this
#: many seconds pass between counting and writing
_UNLOCKED = "kakawari.capacity_unlocked"


def unlock_for_control_experiment(app, race_window: float = 0.0) -> None:
    """The control experiment, for the test server only: no capacity lock in `app`, and a
    pause of `race_window` seconds before counting, to show the race the lock prevents.
    Called by code (tests/concurrency/gunicorn_conf.py), never read from configuration."""
    app.extensions[_UNLOCKED] = float(race_window)


def locking() -> bool:
    """Whether the capacity lock is taken in this app: always, but in a control experiment."""
    return _UNLOCKED not in current_app.extensions


@contextmanager
def locked(session_ids, *, keep_loaded: bool = False, prepare=None):
    """The capacity lock of these sessions, taken in the caller's unit of work and held until
    the edge commits it (or rolls it back): on PostgreSQL the rows locked FOR NO KEY UPDATE stay
    locked until the transaction ends, on SQLite the transaction is the single writer from the
    lock's UPDATE on. Flushes; never commits or rolls back (the edge does, once).

    On SQLite reads run outside a transaction until its first write (the driver begins it
    there), so the lock's UPDATE is the transaction's first statement unless it has written
    already, and then it holds the write lock already: either way what is counted is current.
    PostgreSQL reads committed data afresh with every statement. Either way the sessions are
    read again under the lock. Without `keep_loaded` everything else loaded is expired, so
    whatever is used inside is read again under the lock; `keep_loaded` keeps it instead, for
    callers that decide by statements run inside (registering: decide()).

    `prepare()` adds the rows a decision is about. On PostgreSQL it runs before the lock: its
    rows are invisible to others until the commit, and the lock is then held only for the
    decision. On SQLite, the single writer, it runs under the lock."""
    ids = sorted(set(session_ids))
    postgresql = db.engine.dialect.name == "postgresql"
    if not keep_loaded:
        db.session.flush()
        db.session.expire_all()
    if prepare and postgresql:
        prepare()
    _take(ids, postgresql)
    if prepare and not postgresql:
        prepare()
    yield
    db.session.flush()


def _take(ids: list[int], postgresql: bool) -> None:
    """The lock itself, in the current transaction; the sessions are read again under it."""
    if ids and locking():
        fresh = select(Session).where(Session.id.in_(ids)).order_by(Session.id)
        fresh = fresh.execution_options(populate_existing=True)
        if postgresql:
            # Row locks, taken in id order: no deadlock between overlapping sets. FOR NO KEY
            # UPDATE, which serialises the lockers but not the foreign-key checks of places
            # written before it (FOR UPDATE would deadlock with those).
            db.session.scalars(fresh.with_for_update(key_share=True)).all()
        else:  # the UPDATE takes the database's write lock; then read
            db.session.execute(
                update(Session)
                .where(Session.id.in_(ids))
                .values(seats_version=Session.seats_version + 1)
                .execution_options(synchronize_session=False)
            )
            db.session.scalars(fresh).all()
    elif ids and current_app.extensions[_UNLOCKED]:
        # Control experiment only (tests, benchmark): no lock, and a pause between counting
        # and writing, to show the race the lock prevents.
        time.sleep(current_app.extensions[_UNLOCKED])


def hold(session_ids) -> None:
    """The capacity lock of these sessions inside the caller's transaction, kept until the
    caller commits: for place changes that must commit together with others (an account's
    deletion frees its places). On SQLite the transaction must have written already: it then
    holds the database's write lock, so what it counts next is current."""
    _take(sorted(set(session_ids)), db.engine.dialect.name == "postgresql")


UNLIMITED = 2**31 - 1


@cache
def _decision():
    """UPDATE place SET status = confirmed when its queue (mode, and venue) has room, else
    waitlisted, with the session's next queue key, RETURNING the outcome and how many wait
    ahead (built once)."""
    place = Place.__table__
    other = place.alias("other")
    same_queue = (
        (other.c.session_id == bindparam("s_id"))
        & (other.c.mode == bindparam("m"))
        & other.c.venue_id.is_not_distinct_from(bindparam("v", type_=Integer))
    )
    taken = select(func.count()).select_from(other)
    taken = taken.where(same_queue, other.c.status == PlaceStatus.confirmed.value)
    room = taken.scalar_subquery() < bindparam("cap", type_=Integer)
    next_key = select(func.coalesce(func.max(other.c.queue_key), 0) + 1)
    next_key = next_key.where(other.c.session_id == bindparam("s_id")).scalar_subquery()
    ahead = select(func.count()).select_from(other)
    ahead = ahead.where(
        same_queue,
        other.c.status == PlaceStatus.waitlisted.value,
        other.c.id != bindparam("p_id"),
    ).scalar_subquery()
    return (
        update(place)
        .where(place.c.id == bindparam("p_id"))
        .values(
            status=case((room, PlaceStatus.confirmed.value), else_=PlaceStatus.waitlisted.value),
            confirmed_at=case((room, bindparam("now_", type_=UTCDateTime())), else_=null()),
            queue_key=next_key,
        )
        .returning(place.c.status, place.c.confirmed_at, place.c.queue_key, ahead)
    )


def decide(place: Place, session: Session, now) -> PlaceStatus:
    """Under the lock: a new place is confirmed when its queue (its mode; for a venue place,
    its venue) has room, or else waits, last in line (its position is kept as
    `known_position`). One statement: it starts after the lock was taken, so its counts see
    every decision committed before, and nothing can be decided between counting and
    writing."""
    capacity = session.capacity(place.mode, place.venue_id)
    status, confirmed_at, queue_key, ahead = db.session.execute(
        _decision(),
        {
            "p_id": place.id,
            "s_id": session.id,
            "m": place.mode.value,
            "v": place.venue_id,
            "cap": UNLIMITED if capacity is None else capacity,
            "now_": now,
        },
    ).one()
    set_committed_value(place, "status", PlaceStatus(status))
    set_committed_value(place, "confirmed_at", confirmed_at)
    set_committed_value(place, "queue_key", queue_key)
    if place.status is PlaceStatus.waitlisted:
        place.known_position = ahead + 1
    return place.status


def next_queue_key(session_id: int) -> int:
    """Under the lock: a key after every place of the session (last in line)."""
    last = db.session.scalar(
        select(func.max(Place.queue_key)).where(Place.session_id == session_id)
    )
    return (last or 0) + 1


#: one waiting line of a session: its mode, and for venue places the venue (None online)
Queue = tuple[Mode, int | None]


def queue_of(place: Place) -> Queue:
    return (Mode(place.mode), place.venue_id if place.mode is Mode.venue else None)


def queues(session: Session) -> list[Queue]:
    """Every waiting line of a session: one per venue, and online."""
    found = []
    for mode in session.modes:
        if mode is Mode.venue:
            found += [(mode, v.id) for v in session.venues]
        else:
            found.append((mode, None))
    return found


def confirmed_counts(session_ids) -> dict[tuple[int, Mode, int | None], int]:
    """{(session_id, mode, venue_id): confirmed places}; venue_id is None online."""
    rows = db.session.execute(
        select(Place.session_id, Place.mode, Place.venue_id, func.count())
        .where(Place.session_id.in_(list(session_ids)), Place.status == PlaceStatus.confirmed)
        .group_by(Place.session_id, Place.mode, Place.venue_id)
    )
    return {(sid, Mode(mode), venue_id): n for sid, mode, venue_id, n in rows}


def has_room(session: Session, mode: Mode, confirmed: int, venue_id: int | None = None) -> bool:
    capacity = session.capacity(mode, venue_id)
    return capacity is None or confirmed < capacity


def _same_queue(table, mode: Mode, venue_id: int | None):
    return (table.mode == mode) & table.venue_id.is_not_distinct_from(venue_id)


def waitlist(session_id: int, mode: Mode, venue_id: int | None = None) -> list[Place]:
    """Waiting places for one session and queue (mode, and venue), first in line first."""
    return db.session.scalars(
        select(Place)
        .where(
            Place.session_id == session_id,
            _same_queue(Place, mode, venue_id),
            Place.status == PlaceStatus.waitlisted,
        )
        .order_by(Place.queue_key, Place.id)
    ).all()


def waitlist_position(place: Place) -> int | None:
    if place.status is not PlaceStatus.waitlisted:
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Place)
        .where(
            Place.session_id == place.session_id,
            _same_queue(Place, place.mode, place.venue_id),
            Place.status == PlaceStatus.waitlisted,
            (Place.queue_key < place.queue_key)
            | ((Place.queue_key == place.queue_key) & (Place.id < place.id)),
        )
    )
    return ahead + 1


def waitlist_positions(places) -> dict[int, int]:
    """{place_id: position} for the waiting ones among `places`, in one query (lists, API)."""
    waiting = [p for p in places if p.status is PlaceStatus.waitlisted]
    known = {p.id: p.known_position for p in waiting if getattr(p, "known_position", None)}
    waiting = [p for p in waiting if p.id not in known]
    if not waiting:
        return known
    position = func.row_number().over(
        partition_by=(Place.session_id, Place.mode, Place.venue_id),
        order_by=(Place.queue_key, Place.id),
    )
    ranked = (
        select(Place.id, position.label("position"))
        .where(
            Place.session_id.in_({p.session_id for p in waiting}),
            Place.status == PlaceStatus.waitlisted,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_([p.id for p in waiting]))
    )
    return known | {place_id: n for place_id, n in rows}


class Summary(dict):
    """{session_id: {mode: {capacity, confirmed, waitlisted, applied, left}}} (venue: all the
    session's venues together), and `venues`: {venue_id: the same, for one venue}."""

    venues: dict[int, dict]


def _info(capacity: int | None, counts, key) -> dict:
    confirmed = counts[(*key, PlaceStatus.confirmed)]
    return {
        "capacity": capacity,
        "confirmed": confirmed,
        "waitlisted": counts[(*key, PlaceStatus.waitlisted)],
        "applied": counts[(*key, PlaceStatus.applied)],
        "left": None if capacity is None else max(capacity - confirmed, 0),
    }


def summary(sessions) -> Summary:
    """Places per session and mode, and per venue (Summary), in one query."""
    ids = [s.id for s in sessions]
    counts = defaultdict(int)
    if ids:
        rows = db.session.execute(
            select(Place.session_id, Place.mode, Place.venue_id, Place.status, func.count())
            .where(
                Place.session_id.in_(ids),
                Place.status.in_(
                    [PlaceStatus.confirmed, PlaceStatus.waitlisted, PlaceStatus.applied]
                ),
            )
            .group_by(Place.session_id, Place.mode, Place.venue_id, Place.status)
        )
        for sid, mode, venue_id, status, n in rows:
            status = PlaceStatus(status)
            counts[(sid, Mode(mode), status)] += n
            if venue_id is not None:
                counts[("venue", venue_id, status)] += n
    result = Summary()
    result.venues = {}
    for s in sessions:
        result[s.id] = {m: _info(s.capacity(m), counts, (s.id, m)) for m in s.modes}
        if Mode.venue in s.modes:
            for v in s.venues:
                result.venues[v.id] = _info(v.capacity, counts, ("venue", v.id))
    return result


def availability(info: dict) -> str:
    """ "available", "few" (残りわずか), "full" or "unlimited", for one mode of a session."""
    if info["capacity"] is None:
        return "unlimited"
    if info["left"] == 0:
        return "full"
    if info["left"] <= max(3, info["capacity"] // 10):
        return "few"
    return "available"
