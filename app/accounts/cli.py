import click
from flask.cli import AppGroup

from app.accounts.services import find_user_by_email
from app.audit.services import record
from app.extensions import db

users_cli = AppGroup("users", help="Manage people.")


@users_cli.command("make-admin")
@click.argument("email")
def make_admin(email: str) -> None:
    """Make the account with EMAIL a site administrator."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        raise click.ClickException(f"No active account uses {email}.")
    user.is_admin = True
    record("account.made_admin", subject=user)
    db.session.commit()
    click.echo(f"{user.email} is now a site administrator.")
