"""Optimistic concurrency for the API's updates: an ETag on reads and writes, If-Match honoured.

The tag is the row's version (app.core.versioning: moved on by every update, whoever makes it),
`"<id>.<version>"`. An update (`take_version`) first moves the version on with one conditional
UPDATE, `... SET version = version + 1 WHERE id = ? AND version = <If-Match>`, which also takes
the row's write lock until the commit: of two PATCHes naming the same version, the second waits
for the first and then matches no row, so it gets 412 `precondition_failed` with the current
ETag and changes nothing. Without If-Match the update is unconditional (last write wins, as
before); `If-Match: *` means "as it is now".

flask-smorest's `blp.etag`/`check_etag` were not used: they hash the response and compare it
before the change, which lets two simultaneous writers with the same tag both pass, and they
require If-Match on every update (428). The document still shows If-Match and ETag (app.api's
Blueprint reads `@versioned`).
"""

from flask import after_this_request, request
from sqlalchemy import false, select, update

from app.core.errors import PreconditionFailed
from app.extensions import db

KEY = "row_version"


def versioned(view):
    """Decorator (below `@blp.route`): the operation answers with the row's ETag, and an update
    honours If-Match; documented as such."""
    view._apidoc = {**getattr(view, "_apidoc", {}), KEY: True}
    return view


def etag_of(row) -> str:
    """The row's entity tag, unquoted (Werkzeug quotes it in the header)."""
    return f"{row.id}.{row.version}"


def send_etag(row) -> None:
    """Answer this request with the row's current ETag (read now: after a commit, the version
    the commit left)."""
    tag = etag_of(row)

    @after_this_request
    def _set(response):
        response.set_etag(tag)
        return response


def _versions_asked(row) -> set[int] | None:
    """The versions of this row If-Match names; None: no condition (absent, or `*`)."""
    if "If-Match" not in request.headers or request.if_match.star_tag:
        return None
    versions = set()
    for tag in request.if_match.as_set():  # strong tags only: If-Match compares strongly
        row_id, _, version = tag.partition(".")
        if row_id == str(row.id) and version.isdigit() and len(version) < 10:
            versions.add(int(version))
    return versions


def take_version(row) -> None:
    """Before changing `row`: if the request named a version with If-Match, the row must still
    be at it (else PreconditionFailed, 412, with the current ETag). Moves the version on and
    holds the row's write lock until the commit. Changes nothing else."""
    model = type(row)
    change = update(model).where(model.id == row.id).values(version=model.version + 1)
    asked = _versions_asked(row)
    if asked is not None:
        change = change.where(model.version.in_(asked) if asked else false())
    taken = db.session.execute(change, execution_options={"synchronize_session": False})
    if taken.rowcount != 1:
        current = db.session.scalar(select(model.version).where(model.id == row.id))
        raise PreconditionFailed(etag=f'"{row.id}.{current}"')
    db.session.refresh(row)  # as it is under the lock
