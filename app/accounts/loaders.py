"""How Flask-Login finds the current person from the session cookie.

API tokens (`Authorization: Bearer`) are read by app.api before each API request.
"""

from app.accounts.models import User
from app.extensions import db


def register(login_manager) -> None:
    @login_manager.user_loader
    def load_user(value: str):
        user_id, _, version = value.partition(".")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user
