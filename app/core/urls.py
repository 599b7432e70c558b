from flask import current_app


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
