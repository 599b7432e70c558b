import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.attendance import services
from app.events.models import Session, SessionStatus
from app.extensions import db

attendance_cli = AppGroup("attendance", help="Attendance records.")


@attendance_cli.command("finalize")
def finalize_command() -> None:
    """Make attendance final for sessions that ended long enough ago (meant for cron, e.g.
    hourly; ATTENDANCE_FINAL_HOURS after the end, 24 by default)."""
    due = services.sessions_due()
    for session in due:
        services.finalize(session)
        db.session.commit()  # each session final on its own
        click.echo(f"session {session.id}: final")
    if not due:
        click.echo("No session is due.")


@attendance_cli.command("recompute")
@click.option("--session", "session_ids", type=int, multiple=True, help="A session id.")
@click.option("--series", "series_ids", type=int, multiple=True, help="A series id.")
def recompute_command(session_ids, series_ids) -> None:
    """Rebuild attendance from check-ins and time in the live room (organisers' corrections
    stay). Without options, every session that has started."""
    query = select(Session).where(Session.status == SessionStatus.scheduled)
    if session_ids or series_ids:
        query = query.where(Session.id.in_(session_ids) | Session.series_id.in_(series_ids))
    sessions = db.session.scalars(query.order_by(Session.starts_at)).all()
    done = services.recompute(sessions)
    db.session.commit()
    click.echo(f"{done} session(s) recomputed.")
