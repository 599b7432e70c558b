"""What an API token may do: its scope, and how long it lives.

Each API operation declares the scope it needs (app.api.scopes: GET → `read`, check-in
operations → `checkin`, other writes → `organiser`); a token of another scope is refused with
403 `token_scope`. The browser's session is not a token and is never limited by a scope.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

READ = "read"
CHECKIN = "checkin"
ORGANISER = "organiser"

#: scope -> what it means, for the token page and the OpenAPI document
SCOPES = {
    READ: _l("Read only: every GET the person's role allows"),
    CHECKIN: _l("Check-in: scanning, syncing and manual check-in, and the reads a scanner needs"),
    ORGANISER: _l("Everything the person's role allows"),
}

#: scope -> its short name, for the token list
SCOPE_LABELS = {
    READ: _l("Read only"),
    CHECKIN: _l("Check-in"),
    ORGANISER: _l("Organiser"),
}

#: a new token lives this long unless asked otherwise, and never longer than the maximum
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
EXPIRY_CHOICES_DAYS = (7, 30, 90, 180, 365)


def expiry_after(days: int | None) -> timedelta:
    """The lifetime of a new token asked to live `days` (None: the default), within 1 to
    MAX_EXPIRY_DAYS days."""
    days = DEFAULT_EXPIRY_DAYS if days is None else days
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValueError(days)
    return timedelta(days=days)


def grants(token_scope: str, needed: str, safe_method: bool) -> bool:
    """Whether a token of `token_scope` may use an operation that needs `needed`.

    `organiser` may do everything; `read` every safe (GET) operation; `checkin` the operations
    that declare `checkin`, reads included."""
    if token_scope == ORGANISER:
        return True
    if token_scope == READ:
        return safe_method
    return token_scope == needed
