import click
from flask.cli import AppGroup

from app.registration.services import draw_lottery, due_lotteries

registration_cli = AppGroup("registration", help="Registrations.")


@registration_cli.command("draw")
def draw_command() -> None:
    """Draw every lottery whose deadline has passed (meant for cron, e.g. every 5 minutes)."""
    drawn = 0
    for series in due_lotteries():
        result = draw_lottery(series)
        drawn += 1
        click.echo(
            f"series {series.id}: {result['won']} of {result['entries']} drawn "
            f"(seed {result['seed']})"
        )
    if not drawn:
        click.echo("No lottery is due.")
