"""A secret key generated into instance/ on first run, so nothing secret is ever committed;
the hashes of secrets and passwords we store instead of them."""

import hashlib
import os
import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash


def load_or_create_secret_key(instance_dir: Path) -> str:
    path = Path(instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, links): what we store instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """A salted scrypt hash at the cost the app is configured for (PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password(pwhash: str | None, password: str) -> bool:
    """Whether `password` matches; an account without a password checks against a dummy hash
    of the configured cost, so unknown and known addresses take the same time."""
    if not pwhash:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(pwhash, password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)
