"""gunicorn settings for production (`make serve-prod`): gevent workers serving the web pages,
the API and the live rooms' websockets, with settings from the environment.

Loaded by path (`gunicorn -c app/ops/gunicorn_conf.py`), never imported as part of the app:
the master must not import the app before gevent patches the workers. It refuses to start
without PostgreSQL, Redis and a real SECRET_KEY.

Environment: DATABASE_URL, REDIS_URL, SECRET_KEY (required); BIND (127.0.0.1:8000),
WEB_CONCURRENCY (1 worker), WORKER_CONNECTIONS (2000), GUNICORN_TIMEOUT (30).
"""

import os
import sys
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("KAKAWARI_INSTANCE_DIR", Path(__file__).parents[2] / "instance"))


def _refusals(env) -> list[str]:
    refusals = []
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        refusals.append("DATABASE_URL must point at PostgreSQL (postgresql://user:pw@host/db)")
    if not env.get("REDIS_URL"):
        refusals.append("REDIS_URL must be set (redis://host:6379/0): live rooms and rate limits")
    secret = env.get("SECRET_KEY", "")
    dev_secret = INSTANCE_DIR / "secret_key"
    if len(secret) < 32:
        refusals.append(
            "SECRET_KEY must be set to a long random value, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    elif dev_secret.exists() and dev_secret.read_text().strip() == secret.strip():
        refusals.append("SECRET_KEY is the development key from instance/secret_key")
    return refusals


_problems = _refusals(os.environ)
if _problems:
    sys.exit("Refusing to start in production:\n  - " + "\n  - ".join(_problems))

# Mail is sent by `flask mail worker` (make mail-worker), not by the web processes.
os.environ.setdefault("MAIL_DELIVERY", "worker")
# A fixed pool of database connections per worker: overflow connections, opened and closed
# again under a burst, cost PostgreSQL a process each (registration rush: ~65 → ~80/s).
os.environ.setdefault("DATABASE_POOL_SIZE", "15")
os.environ.setdefault("DATABASE_MAX_OVERFLOW", "0")

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gevent"
# One worker per port by default: Socket.IO's long-polling needs every request of a socket to
# reach the same process. More processes: more ports behind nginx with sticky sessions
# (README "Running in production"), or WEB_CONCURRENCY > 1 when clients use websockets only.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# Open websockets each hold a connection: a live room of 1,000 people plus the page traffic.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Logs go to stdout/stderr for systemd's journal or the container runtime.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "kakawari"


def post_worker_init(worker):
    """Once the app is loaded: move everything that lives as long as the process out of the
    collector's sight (gc.freeze) and collect young objects less often. A full collection of a
    worker holding a thousand live-room sockets stopped it for a few hundred milliseconds, and
    every chat message in flight waited (measured: chat p99 at 10 messages/s to 1,000 clients
    from ~350 ms to ~170 ms)."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
