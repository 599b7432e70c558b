"""Places per session and mode: the lock, the counts, and the waitlist order.

Every change of who holds a place runs inside `locked(session_ids)`, which takes the sessions'
rows as a lock before anything is counted: `SELECT … FOR UPDATE` in id order on PostgreSQL (no
deadlocks between overlapping sets), and an UPDATE of the same rows on SQLite, which makes the
transaction the single writer from its first statement. Counting then writing under that lock
is what keeps "never more confirmed than capacity" true whatever runs at once.
"""

import time
from collections import defaultdict
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import func, select, update

from app.events.models import Mode, Session
from app.extensions import commit_keeping_loaded, db
from app.registration.models import Place, PlaceStatus


@contextmanager
def locked(session_ids, *, keep_loaded: bool = False):
    """A transaction holding the capacity lock of these sessions; commits on success.

    On SQLite the transaction before it is committed so that the lock is the new one's first
    statement (a read first would pin a snapshot the write lock cannot upgrade). PostgreSQL
    reads committed data afresh with every statement, so there the lock simply joins the
    request's transaction. Either way the sessions are read again under the lock, and without
    `keep_loaded` everything else loaded is expired, so whatever is used inside is read again
    too. `keep_loaded` keeps it instead, for callers that read what they decide on by query
    inside (registering: the counts), and also keeps it loaded after the commit."""
    ids = sorted(set(session_ids))
    postgresql = db.engine.dialect.name == "postgresql"
    if not postgresql:
        if keep_loaded:
            commit_keeping_loaded()
        else:
            db.session.commit()
    elif not keep_loaded:
        db.session.flush()
        db.session.expire_all()
    try:
        if ids and current_app.config.get("REGISTRATION_LOCKING", True):
            fresh = select(Session).where(Session.id.in_(ids)).order_by(Session.id)
            fresh = fresh.execution_options(populate_existing=True)
            if postgresql:  # row locks, taken in id order: no deadlock between overlapping sets
                db.session.scalars(fresh.with_for_update()).all()
            else:  # the UPDATE takes the database's write lock; then read
                db.session.execute(
                    update(Session)
                    .where(Session.id.in_(ids))
                    .values(seats_version=Session.seats_version + 1)
                    .execution_options(synchronize_session=False)
                )
                db.session.scalars(fresh).all()
        elif ids and current_app.config.get("REGISTRATION_RACE_WINDOW"):
            # Control experiment only (tests, benchmark): no lock, and a pause between counting
            # and writing, to show the race the lock prevents.
            time.sleep(current_app.config["REGISTRATION_RACE_WINDOW"])
        yield
        if keep_loaded:
            commit_keeping_loaded()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def confirmed_counts(session_ids) -> dict[tuple[int, Mode], int]:
    rows = db.session.execute(
        select(Place.session_id, Place.mode, func.count())
        .where(Place.session_id.in_(list(session_ids)), Place.status == PlaceStatus.confirmed)
        .group_by(Place.session_id, Place.mode)
    )
    return {(sid, Mode(mode)): n for sid, mode, n in rows}


def decision_counts(session_ids) -> tuple[dict, dict]:
    """Under the lock, for places about to be added: ({(session_id, mode): confirmed},
    {(session_id, mode): waiting ahead of a new place}), in one query. A new place has queue
    key 0 and the highest id, so it waits behind every waiting place with a key up to 0."""
    waiting = (Place.status == PlaceStatus.waitlisted) & (Place.queue_key <= 0)
    rows = db.session.execute(
        select(
            Place.session_id,
            Place.mode,
            func.count().filter(Place.status == PlaceStatus.confirmed),
            func.count().filter(waiting),
        )
        .where(
            Place.session_id.in_(list(session_ids)),
            Place.status.in_([PlaceStatus.confirmed, PlaceStatus.waitlisted]),
        )
        .group_by(Place.session_id, Place.mode)
    )
    confirmed, ahead = {}, {}
    for sid, mode, n_confirmed, n_ahead in rows:
        confirmed[(sid, Mode(mode))] = n_confirmed
        ahead[(sid, Mode(mode))] = n_ahead
    return confirmed, ahead


def has_room(session: Session, mode: Mode, confirmed: int) -> bool:
    capacity = session.capacity(mode)
    return capacity is None or confirmed < capacity


def waitlist(session_id: int, mode: Mode) -> list[Place]:
    """Waiting places for one session and mode, first in line first."""
    return db.session.scalars(
        select(Place)
        .where(
            Place.session_id == session_id,
            Place.mode == mode,
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
            Place.mode == place.mode,
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
        partition_by=(Place.session_id, Place.mode), order_by=(Place.queue_key, Place.id)
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


def summary(sessions) -> dict[int, dict[Mode, dict]]:
    """{session_id: {mode: {capacity, confirmed, waitlisted, left}}} in one query."""
    ids = [s.id for s in sessions]
    counts = defaultdict(int)
    if ids:
        rows = db.session.execute(
            select(Place.session_id, Place.mode, Place.status, func.count())
            .where(
                Place.session_id.in_(ids),
                Place.status.in_(
                    [PlaceStatus.confirmed, PlaceStatus.waitlisted, PlaceStatus.applied]
                ),
            )
            .group_by(Place.session_id, Place.mode, Place.status)
        )
        for sid, mode, status, n in rows:
            counts[(sid, Mode(mode), PlaceStatus(status))] = n
    result = {}
    for s in sessions:
        result[s.id] = {}
        for mode in s.modes:
            capacity = s.capacity(mode)
            confirmed = counts[(s.id, mode, PlaceStatus.confirmed)]
            result[s.id][mode] = {
                "capacity": capacity,
                "confirmed": confirmed,
                "waitlisted": counts[(s.id, mode, PlaceStatus.waitlisted)],
                "applied": counts[(s.id, mode, PlaceStatus.applied)],
                "left": None if capacity is None else max(capacity - confirmed, 0),
            }
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
