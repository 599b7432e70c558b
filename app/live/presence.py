"""Who is in a room, and for how long: connection intervals per socket, merged per person.

These only flush: the socket event or upkeep round that calls them commits (app/live/socket/
unit.py). Attendance hears of time in a room that ended (presence_closed) after that commit."""

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update

from app.core.intervals import merge_intervals
from app.core.types import utcnow
from app.core.uow import after_commit
from app.extensions import db
from app.live.models import Connection
from app.live.signals import presence_closed

#: a socket not heard of for this long is gone (its process crashed or the network died)
STALE_AFTER = timedelta(seconds=90)
#: a socket joining a room again this soon after leaving it was there all along
REJOIN_WITHIN = timedelta(seconds=30)


def connect(
    session_id: int, user_id: int, sid: str, process: str, now=None, *, rejoin: bool = False
) -> Connection:
    """Open the socket's interval in the room. A socket joining again (`rejoin`) within
    REJOIN_WITHIN of leaving continues the interval it left: leaving and joining again and
    again adds no rows."""
    now = now or utcnow()
    left = rejoin and db.session.scalar(
        select(Connection)
        .where(
            Connection.sid == sid,
            Connection.process == process,
            Connection.session_id == session_id,
            Connection.left_at >= now - REJOIN_WITHIN,
        )
        .order_by(Connection.id.desc())
        .limit(1)
    )
    if left:
        left.left_at, left.last_seen_at = None, now
        db.session.flush()
        return left
    connection = Connection(
        session_id=session_id,
        user_id=user_id,
        sid=sid,
        process=process,
        joined_at=now,
        last_seen_at=now,
    )
    db.session.add(connection)
    db.session.flush()
    return connection


def disconnect(sid: str, process: str, now=None) -> list[Connection]:
    """Close the socket's open intervals (a socket may have joined more than one room)."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Connection).where(
            Connection.sid == sid, Connection.process == process, Connection.left_at.is_(None)
        )
    ).all()
    for c in rows:
        c.left_at = now
        c.last_seen_at = now
    db.session.flush()
    _announce(rows)
    return rows


def heartbeat(sids, process: str, now=None) -> int:
    """Mark this process's live sockets as seen: one UPDATE however many sockets."""
    sids = list(sids)
    if not sids:
        return 0
    result = db.session.execute(
        update(Connection)
        .where(
            Connection.process == process, Connection.sid.in_(sids), Connection.left_at.is_(None)
        )
        .values(last_seen_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def silent_rooms(since: datetime) -> list[int]:
    """Rooms with a socket still counted in but not heard of since `since`."""
    return db.session.scalars(
        select(Connection.session_id)
        .where(Connection.left_at.is_(None), Connection.last_seen_at < since)
        .distinct()
    ).all()


def close_stale(now=None, stale_after: timedelta = STALE_AFTER) -> int:
    """End intervals nobody has vouched for in `stale_after` at their last sign of life
    (crashed processes, lost networks). Safe to run from every process."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Connection).where(
            Connection.left_at.is_(None), Connection.last_seen_at < now - stale_after
        )
    ).all()
    for c in rows:
        c.left_at = c.last_seen_at
    db.session.flush()
    _announce(rows)
    return len(rows)


def open_sids(process: str) -> set[str]:
    """The sockets of `process` whose interval is open."""
    return set(
        db.session.scalars(
            select(Connection.sid).where(
                Connection.process == process, Connection.left_at.is_(None)
            )
        )
    )


def close_process(process: str) -> int:
    """A restarted process closes what its previous life left open, at last seen."""
    rows = db.session.scalars(
        select(Connection).where(Connection.process == process, Connection.left_at.is_(None))
    ).all()
    for c in rows:
        c.left_at = c.last_seen_at
    db.session.flush()
    _announce(rows)
    return len(rows)


def _announce(closed) -> None:
    """Tell attendance, once the intervals' end is committed (never if it rolls back)."""
    by_session: dict[int, set[int]] = {}
    for c in closed:
        by_session.setdefault(c.session_id, set()).add(c.user_id)
    for session_id, user_ids in by_session.items():
        after_commit(partial(presence_closed.send, session_id, user_ids=sorted(user_ids)))


def present_users(session_id: int, now=None):
    """The ids of people with a live socket in the room, across every server process, as a
    query to use inside another (a full room is a thousand ids)."""
    now = now or utcnow()
    return (
        select(Connection.user_id)
        .where(
            Connection.session_id == session_id,
            Connection.left_at.is_(None),
            Connection.last_seen_at >= now - STALE_AFTER,
        )
        .distinct()
    )


def present_user_ids(session_id: int, now=None) -> list[int]:
    """People with a live socket in the room, across every server process."""
    return list(db.session.scalars(present_users(session_id, now)))


#: overlapping tabs and reconnects count once
merge_presence_intervals = merge_intervals


def intervals_by_user(session_id: int, now=None) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each person's merged time in the room; open intervals run to their last sign of life."""
    now = now or utcnow()
    found: dict[int, list] = {}
    for c in db.session.scalars(select(Connection).where(Connection.session_id == session_id)):
        end = c.left_at or min(now, c.last_seen_at + STALE_AFTER)
        found.setdefault(c.user_id, []).append((c.joined_at, end))
    return {user_id: merge_presence_intervals(spans) for user_id, spans in found.items()}


def seconds_in(intervals, start: datetime, end: datetime) -> int:
    """Seconds of merged intervals inside [start, end] (time clipped to the session)."""
    total = 0.0
    for s, e in intervals:
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return int(total)
