"""`flask mail ...`: the worker that drains the queue, and the administrator's view of it."""

import signal
import threading
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.core.timefmt import format_datetime
from app.extensions import db
from app.mail import queue
from app.mail.delivery import run_periodic_jobs

mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@mail_cli.command("send-queued")
def send_queued_command() -> None:
    """Send every mail that is due, once (for cron or by hand)."""
    _echo_result(queue.drain())


@mail_cli.command("worker")
def worker_command() -> None:
    """Drain the queue until stopped (SIGTERM or Ctrl-C end it after the current mail), and
    run the periodic jobs (reminders) on the way. Several workers may run at once on
    PostgreSQL; on SQLite they take turns."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    poll = current_app.config["MAIL_POLL_SECONDS"]
    click.echo(f"Mail worker: draining every {poll:g} s (MAIL_SERVER={_server()})")
    app = current_app._get_current_object()
    while not stop.is_set():
        run_periodic_jobs(app)  # reminders: queued here, sent by the drain below
        try:
            result = queue.drain()
        except Exception:  # the database went away: log it and try again after a pause
            current_app.logger.exception("Mail worker: draining failed")
            result = None
        db.session.remove()  # a fresh session per round: nothing piles up in a long run
        if result and result.claimed:
            _echo_result(result)
        stop.wait(poll)
    click.echo("Mail worker stopped.")


@mail_cli.command("status")
def status_command() -> None:
    """How many mails are queued, sending, sent and failed, and the failed ones."""
    counts = queue.status_counts()
    click.echo("  ".join(f"{status.value}: {n}" for status, n in counts.items()))
    oldest = queue.oldest_waiting()
    if oldest:
        click.echo(f"oldest waiting since {format_datetime(oldest)}")
    for mail in queue.failed_mails():
        click.echo(
            f"failed #{mail.id} to {mail.recipient} after {mail.attempts} attempts: "
            f"{mail.subject!r} -- {mail.last_error}"
        )


@mail_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
def retry_command(ids) -> None:
    """Queue failed mails again: these ids, or every failed one."""
    count = queue.retry_failed(ids)
    db.session.commit()
    click.echo(f"{count} mail(s) queued again.")


@mail_cli.command("purge")
@click.option("--days", default=30, show_default=True, help="Keep sent mails this long.")
def purge_command(days: int) -> None:
    """Delete sent mails older than --days (they hold names and links)."""
    count = queue.purge_sent(timedelta(days=days))
    db.session.commit()
    click.echo(f"{count} sent mail(s) deleted.")


def _server() -> str:
    cfg = current_app.config
    return f"{cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}" if cfg.get("MAIL_SERVER") else "unset (log)"


def _echo_result(result: queue.DrainResult) -> None:
    click.echo(f"sent {result.sent}, to retry {result.retrying}, failed {result.failed}")
