"""Keeping attendance current without a page writing it (issue 17: a GET never commits).

Check-ins and the live room recompute the people they concern (receivers.py). What no event
announces is time passing: a person still in the room gains minutes, and a session comes due
for finalising. `keep_current` covers that: the mail thread (`make run`) and `flask mail worker`
run it every ATTENDANCE_POLL_SECONDS (app.mail.delivery.add_periodic_job), each pass its own
unit of work, committed there. Pages and the API only read what it left.
"""

from datetime import datetime

from flask import Flask
from sqlalchemy import select

from app.attendance import services
from app.attendance.models import SessionAttendance
from app.core.types import utcnow
from app.events.models import Session, SessionStatus
from app.extensions import db
from app.live import presence

#: at most this many sessions come final in one pass (the first pass after an upgrade may find
#: many; the rest follow in the next passes)
FINALIZE_PER_PASS = 20


def sessions_to_recompute(now: datetime) -> list[Session]:
    """Sessions that have started and are not final, whose records may lag behind: under way,
    or ended but not computed since the last open connection could still count (a quiet
    socket counts for presence.STALE_AFTER after its last sign of life)."""
    rows = db.session.execute(
        select(Session, SessionAttendance.computed_at)
        .outerjoin(SessionAttendance, SessionAttendance.session_id == Session.id)
        .where(
            Session.status == SessionStatus.scheduled,
            Session.starts_at <= now,
            SessionAttendance.final_at.is_(None),
        )
        .order_by(Session.starts_at)
    ).all()
    return [
        session
        for session, computed_at in rows
        if computed_at is None or computed_at < session.ends_at + presence.STALE_AFTER
    ]


def keep_current(now: datetime | None = None) -> int:
    """One pass: finalise the sessions that are due, and recompute the others that have
    started and are not final. Flushes (the periodic job's runner commits); how many sessions
    it touched. Running it in two processes at once is harmless: both compute the same, and a
    record the other created first rolls this pass back (compute_session), for the next."""
    now = now or utcnow()
    due = services.sessions_due(now)[:FINALIZE_PER_PASS]
    for session in due:
        services.finalize(session, now)
    done = {s.id for s in due}
    # the due ones past FINALIZE_PER_PASS wait for the next pass
    lagging = [
        s for s in sessions_to_recompute(now) if s.id not in done and services.final_after(s) > now
    ]
    for session in lagging:
        services.compute_session(session, now=now)
    return len(due) + len(lagging)


def schedule_attendance(app: Flask) -> None:
    """The mail thread and `flask mail worker` keep attendance current every
    ATTENDANCE_POLL_SECONDS (no cron needed); `flask attendance finalize` still works."""
    from app.mail.delivery import add_periodic_job

    add_periodic_job(
        app, "attendance", app.config["ATTENDANCE_POLL_SECONDS"], lambda: keep_current()
    )
