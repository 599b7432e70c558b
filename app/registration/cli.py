import click
from flask.cli import AppGroup

from app.extensions import db
from app.registration.models import ReminderKind
from app.registration.reminders import queue_due_reminders
from app.registration.services import draw_lottery, due_lotteries
from app.registration.unit import one_unit_of_work

registration_cli = AppGroup("registration", help="Registrations.")


@registration_cli.command("draw")
def draw_command() -> None:
    """Draw every lottery whose deadline has passed (meant for cron, e.g. every 5 minutes)."""
    drawn = 0
    for series in due_lotteries():
        with one_unit_of_work():  # each draw its own: one failing keeps the others
            result = draw_lottery(series)
        drawn += 1
        click.echo(
            f"series {series.id}: {result['won']} of {result['entries']} drawn "
            f"(seed {result['seed']})"
        )
    if not drawn:
        click.echo("No lottery is due.")


reminders_cli = AppGroup("reminders", help="Reminder mails before sessions.")


@reminders_cli.command("send")
def send_reminders_command() -> None:
    """Queue the reminders that are due, once (for cron, e.g. every minute; the mail thread
    and `flask mail worker` also do this by themselves). Safe to run alongside them."""
    queued = queue_due_reminders()
    db.session.commit()
    click.echo(
        f"day-before reminders: {queued[ReminderKind.day_before]}, "
        f"hour-before reminders: {queued[ReminderKind.hour_before]}"
    )
