"""Idempotency keys on the POSTs that create things (the IETF draft "The Idempotency-Key HTTP
Header Field", as Stripe does it): a retried request never creates twice.

A caller (the person, by token or session) sends `Idempotency-Key: <unique string>`. The first
request with a key runs; its status and body are stored, with a fingerprint of its method, path
and body, in the same transaction as what it created: the view's own commit is held back
(`_one_commit`) and the answer is stored before the single commit, so a request that fails or
rolls back stores nothing and a retry runs again. A retry with the key and the same request
gets the stored answer again (header `Idempotent-Replayed: true`); the key with another request
is refused (422 `idempotency_key_reused`); while the first is still running, a second one is
refused (409 `idempotency_in_progress`: on PostgreSQL a transaction-scoped advisory lock on
the key says so at once; anywhere, the unique (person, key) row makes the later of two commits
fail, and all it wrote is rolled back). Keys are forgotten after 24 hours.
Requests without the header, and callers not logged in, are not affected.
"""

import hashlib
import json
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps

from flask import current_app, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.api.models import IdempotencyKey
from app.core.errors import IdempotencyInProgress, IdempotencyKeyReused, ValidationFailed
from app.core.types import utcnow
from app.extensions import db

HEADER = "Idempotency-Key"
KEY = "idempotent"
TTL = timedelta(hours=24)
MAX_LENGTH = 255


def idempotent(view):
    """Decorator (right below `@blp.route`, so it sees the finished answer): the operation
    honours Idempotency-Key; documented as such."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not current_user.is_authenticated:
            return view(*args, **kwargs)
        _check_key(key)
        user_id, fingerprint = current_user.id, _fingerprint()
        if not _try_lock(user_id, key):
            raise IdempotencyInProgress()
        now = utcnow()
        stored = db.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at > now,
            )
        )
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            return _replay(stored)
        with _one_commit():
            response = make_response(view(*args, **kwargs))
        _store(user_id, key, fingerprint, response, now)
        return response

    wrapper._apidoc = {**getattr(wrapper, "_apidoc", {}), KEY: True}
    return wrapper


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_LENGTH or not all(" " <= c <= "~" for c in key):
        raise ValidationFailed(
            fields={HEADER: [_l("1 to 255 printable ASCII characters, e.g. a UUID.")]}
        )


def _fingerprint() -> str:
    """Of the method, the path with its query and the body (JSON compared by its content)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _try_lock(user_id: int, key: str) -> bool:
    """PostgreSQL: take the key's advisory lock for this transaction, or say another request
    holds it. Elsewhere (SQLite serialises writers) the unique row decides."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    digest = hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))))


@contextmanager
def _one_commit():
    """The view's commits only flush: the request commits once, with the stored answer."""
    session = db.session()
    session.commit = session.flush
    try:
        yield
    finally:
        del session.commit


def _store(user_id: int, key: str, fingerprint: str, response, now) -> None:
    if response.status_code < 300:
        db.session.execute(  # a key used again after it expired, and the person's old keys
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.expires_at <= now
            )
        )
        db.session.add(
            IdempotencyKey(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                status=response.status_code,
                body=response.get_data(as_text=True),
                created_at=now,
                expires_at=now + TTL,
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        # another request with the key committed first: this one's work is undone
        db.session.rollback()
        raise IdempotencyInProgress() from None


def _replay(stored: IdempotencyKey):
    response = current_app.response_class(
        stored.body, status=stored.status, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response
