"""How Flask-Login finds the current person: the session cookie, or a Bearer token on the API."""

from flask import g, request

from app.accounts.models import User
from app.accounts.services import user_for_api_token
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

    @login_manager.request_loader
    def load_user_from_token(req):
        # Only the API accepts tokens; pages work with the session cookie alone.
        if not request.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return None
        user = user_for_api_token(secret.strip())
        if user is not None:
            g.token_auth = True
        return user
