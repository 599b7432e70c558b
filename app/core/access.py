"""Declared access policies: every view says who may use it.

Each decorator records `view.access_policy` (read by the route-inventory test, so a route
without a declared policy fails the suite) and enforces it before the view runs. Failures raise
the shared error vocabulary; the error handlers turn that into a login redirect, an error page
or a JSON error, depending on where the request came from.
"""

from functools import wraps

from flask_login import current_user

from app.core.errors import AuthenticationRequired, PermissionDenied

POLICY_ATTR = "access_policy"


def declare(view, policy: str):
    setattr(view, POLICY_ATTR, policy)
    return view


def policy_of(view) -> str | None:
    return getattr(view, POLICY_ATTR, None)


def public(view):
    """Anyone, logged in or not."""
    return declare(view, "public")


def require_user():
    if not current_user.is_authenticated:
        raise AuthenticationRequired()


def login_required(view):
    """Any logged-in person."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        require_user()
        return view(*args, **kwargs)

    return declare(wrapper, "user")


def admin_required(view):
    """Site administrators only (set with `flask users make-admin`)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        require_user()
        if not current_user.is_admin:
            raise PermissionDenied()
        return view(*args, **kwargs)

    return declare(wrapper, "admin")
