"""Failed-login limits, per account and per address, shared by the login page and the API.

Only failures count (deduct_when), so a person who types the right password is never slowed by
their own successful logins; once the failures pass the limit, further tries are refused for a
while (429) and that is audited.
"""

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from app.audit.services import record
from app.core.text import printable
from app.extensions import db, limiter


def _submitted_email() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get("email") if isinstance(data, dict) else ""
    else:
        value = request.form.get("email", "")
    return printable(value, 254).strip().lower()


def mark_login_failed() -> None:
    g.login_failed = True


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _breached(limit) -> None:
    """The request is refused here (429), before its view: this is its one unit of work."""
    record("auth.login_rate_limited", email=_submitted_email())
    db.session.commit()


def login_limits(view):
    """Apply both failed-login limits to a view (POST only)."""
    # shared limits: the scope alone names the counter, so the page and the API (two
    # endpoints) spend from the same budget; a plain limit would count per endpoint
    per_account = limiter.shared_limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
        key_func=lambda: "account:" + _submitted_email(),
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_breached,
        scope="login-account",
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_breached,
        scope="login-address",
    )
    return per_account(per_address(view))


def _per_address(config_key: str, scope: str):
    """One budget per address for every view that carries it (the page and the API)."""
    return limiter.shared_limit(
        lambda: current_app.config[config_key], scope=scope, methods=["POST"]
    )


signup_limit = _per_address("SIGNUPS_PER_ADDRESS", "signup")
password_reset_limit = _per_address("PASSWORD_RESETS_PER_ADDRESS", "password-reset")
