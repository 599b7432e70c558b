import unicodedata
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built from BASE_URL (never from the request's Host header).
    Works outside a request too (e.g. a lottery drawn by cron tells people by email)."""
    path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def safe_next(target: str | None, default: str = "/") -> str:
    """The one rule for where `?next=` (or a form's `next`) may send someone: a path of this
    site. Anything else gives `default`: text holding a control character, whitespace or a
    backslash (browsers drop tabs and newlines: "/%09/evil.example" would be "//evil.example",
    and a newline would break the Location header), or what parses with a scheme, a host, or a
    path not starting with exactly one "/"."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return default
    if "\\" in target or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return default
    return target


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that fits the database's integer columns: a larger number in a URL is a
    404 like any other unknown id, not an overflow deep in the database driver."""

    MAX = 2**31 - 1

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", self.MAX)
        super().__init__(map, *args, **kwargs)


def bounded_int_schema(converter) -> dict:
    """The converter's OpenAPI parameter schema (flask-smorest)."""
    return {"type": "integer", "minimum": 0, "maximum": converter.max}
