"""How Flask-Login finds the current person from the session cookie, and whether what a
long-lived connection (a live room's socket) was opened with still stands.

API tokens (`Authorization: Bearer`) are read by app.api before each API request.
"""

from sqlalchemy import exists, or_, select

from app.accounts.models import ApiToken, User
from app.core.types import utcnow
from app.extensions import db


def _token_stands():
    """Not revoked and not expired."""
    return ApiToken.revoked_at.is_(None) & or_(
        ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()
    )


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


def opened_with_stands(user: User, opened_with) -> bool:
    """Whether what a connection was opened with still stands: ("session", the person's session
    version: a logout or a new password moves it on), or ("token", an API token neither revoked
    nor expired)."""
    kind, value = opened_with or (None, None)
    if kind == "session":
        return value == user.session_version
    if kind == "token":
        valid = exists().where(ApiToken.id == value, ApiToken.user_id == user.id, _token_stands())
        return bool(db.session.scalar(select(valid)))
    return False


def ended(opened: dict) -> list:
    """Of connections {key: (user id, opened with)}, the keys whose person was deleted or whose
    login or token ended: the rule of opened_with_stands, for every connection in two queries."""
    if not opened:
        return []
    user_ids = {user_id for user_id, _ in opened.values()}
    versions = dict(
        db.session.execute(
            select(User.id, User.session_version).where(
                User.id.in_(user_ids), User.deleted_at.is_(None)
            )
        ).all()
    )
    token_ids = {value for _, (kind, value) in opened.values() if kind == "token"}
    valid_tokens = set(
        db.session.scalars(select(ApiToken.id).where(ApiToken.id.in_(token_ids), _token_stands()))
        if token_ids
        else ()
    )
    gone = []
    for key, (user_id, (kind, value)) in opened.items():
        if kind == "session":
            stands = user_id in versions and versions[user_id] == value
        else:
            stands = user_id in versions and kind == "token" and value in valid_tokens
        if not stands:
            gone.append(key)
    return gone
