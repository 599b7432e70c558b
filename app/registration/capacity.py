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

    The transaction before it is committed so that the lock is the new one's first statement;
    that commit expires everything loaded, so whatever is used inside is read again under the
    lock. `keep_loaded` keeps it instead, for callers that read what they decide on by query
    inside (registering: the counts, an existing registration); the sessions themselves are
    always read again, under the lock."""
    ids = sorted(set(session_ids))
    if keep_loaded:
        commit_keeping_loaded()
    else:
        db.session.commit()
    try:
        if ids and current_app.config.get("REGISTRATION_LOCKING", True):
            fresh = select(Session).where(Session.id.in_(ids)).order_by(Session.id)
            fresh = fresh.execution_options(populate_existing=True)
            postgresql = db.engine.dialect.name == "postgresql"
            if postgresql:
                db.session.scalars(fresh.with_for_update()).all()
            db.session.execute(
                update(Session)
                .where(Session.id.in_(ids))
                .values(seats_version=Session.seats_version + 1)
                .execution_options(synchronize_session=False)
            )
            if not postgresql:  # SQLite: the UPDATE took the write lock; now read
                db.session.scalars(fresh).all()
        elif ids and current_app.config.get("REGISTRATION_RACE_WINDOW"):
            # Control experiment only (tests, benchmark): no lock, and a pause between counting
            # and writing, to show the race the lock prevents.
            time.sleep(current_app.config["REGISTRATION_RACE_WINDOW"])
        yield
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
    if not waiting:
        return {}
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
    return {place_id: n for place_id, n in rows}


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
