"""The one place that decides whether an API token's scope allows an operation.

Each operation needs a scope: `read` for a GET, `checkin` for what a scanner does (declared with
`@needs_scope(CHECKIN)`, below `@blp.route`), `organiser` for any other write. The need is kept
in the view's `_apidoc` (where flask-smorest keeps what it documents), so the check before the
request and the OpenAPI document (`x-token-scope`) read the same value.
"""

from flask import current_app, request

from app.accounts.scopes import CHECKIN, ORGANISER, READ, grants
from app.core.errors import TokenScope

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
KEY = "token_scope"

__all__ = ["CHECKIN", "ORGANISER", "READ", "check_token_scope", "needed_scope", "needs_scope"]


def needs_scope(scope: str):
    """Decorator: the operation needs `scope` (put it below `@blp.route`)."""

    def decorator(view):
        view._apidoc = {**getattr(view, "_apidoc", {}), KEY: scope}
        return view

    return decorator


def needed_scope(doc_info: dict, method: str) -> str:
    """The scope an operation needs: as declared, else by its method."""
    declared = doc_info.get(KEY)
    if declared:
        return declared
    return READ if method.upper() in SAFE_METHODS else ORGANISER


def check_token_scope(token) -> None:
    """Refuse (403 token_scope) a request whose token's scope does not cover its operation."""
    endpoint = request.endpoint or ""
    if endpoint == "api_docs" or endpoint.startswith(("api-docs.", "portal.")):
        return  # the document, its page and the public portal's search are for anyone
    view = current_app.view_functions.get(endpoint)
    needed = needed_scope(getattr(view, "_apidoc", {}), request.method)
    if not grants(token.scope, needed, request.method in SAFE_METHODS):
        raise TokenScope(needed=needed)
