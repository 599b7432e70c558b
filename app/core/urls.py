from flask import current_app
from werkzeug.routing import IntegerConverter


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built from BASE_URL (never from the request's Host header).
    Works outside a request too (e.g. a lottery drawn by cron tells people by email)."""
    path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths, so ?next= cannot send people to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
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
