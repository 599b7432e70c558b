"""A secret key generated into instance/ on first run, so nothing secret is ever committed."""

import hashlib
import os
import secrets
from pathlib import Path


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
