"""With REDIS_URL set, failed-login counts live in Redis and are shared by every process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("KAKAWARI_TEST_REDIS", "redis://127.0.0.1:6379/0")

# One "server process": its own app on a shared SQLite file, failed logins via the test client.
SCRIPT = r"""
import json, sys
from app import create_app
from app.extensions import db
from config import Config
from tests.conftest import create_user, post_form

# Only REDIS_URL is given: the app must pick Redis for the rate-limit counters by itself.
app = create_app(Config, SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=sys.argv[1], REDIS_URL=sys.argv[2],
                 RATELIMIT_KEY_PREFIX=sys.argv[3],
                 LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes", INSTANCE_DIR=sys.argv[4])
with app.app_context():
    if sys.argv[5] == "create":
        db.create_all()
        create_user("hanako@example.jp")
statuses = []
for _ in range(int(sys.argv[6])):
    r = post_form(app.test_client(), "/login",
                  {"email": "hanako@example.jp", "password": "wrong-password"}, token_from="/login")
    statuses.append(r.status_code)
print(json.dumps(statuses))
"""


def _process(tmp_path, prefix, mode, attempts):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            f"sqlite:///{tmp_path}/shared.db",
            REDIS_URL,
            prefix,
            str(tmp_path),
            mode,
            str(attempts),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_failed_logins_are_counted_across_processes_in_redis(tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # Redis must be running: no skip, CI starts it
    prefix = f"kakawari-test-{secrets.token_hex(4)}"
    try:
        assert _process(tmp_path, prefix, "create", 2) == [200, 200]
        # A second process sees the first one's failures: one more try, then refused.
        assert _process(tmp_path, prefix, "reuse", 2) == [200, 429]
        assert client.keys(f"*{prefix}*"), "the counters are stored in Redis"
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
