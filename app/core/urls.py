from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built from BASE_URL (never from the request's Host header)."""
    return current_app.config["BASE_URL"] + url_for(endpoint, _external=False, **values)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths, so ?next= cannot send people to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
