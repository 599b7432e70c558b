"""Settings read from the environment (12-factor); see README "Configuration"."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _pool_options() -> dict:
    """Database connections per process, when the operator sets them (production: enough for
    the requests one gevent worker serves at once)."""
    names = {"pool_size": "DATABASE_POOL_SIZE", "max_overflow": "DATABASE_MAX_OVERFLOW"}
    return {key: int(os.environ[var]) for key, var in names.items() if os.environ.get(var)}


def _prepare_threshold() -> int | None:
    value = os.environ.get("DATABASE_PREPARE_THRESHOLD", "0").strip().lower()
    return None if value in ("off", "none", "") else int(value)


class Config:
    INSTANCE_DIR = Path(os.environ.get("KAKAWARI_INSTANCE_DIR", BASE_DIR / "instance"))
    #: None means "generate one into instance/secret_key on first run" (see app.core.secrets).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'kakawari.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, **_pool_options()}
    #: PostgreSQL: prepare a statement after this many uses on a connection (0: at once; None,
    #: from "off": never, for PgBouncer in transaction mode)
    DATABASE_PREPARE_THRESHOLD = _prepare_threshold()
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Live rooms: the Redis channel the server processes share, and how often each process
    # vouches for its sockets (a socket silent for three beats is gone, closed at last seen).
    LIVE_CHANNEL = os.environ.get("LIVE_CHANNEL", "kakawari-live")
    #: attendance becomes final this many hours after a session ends
    ATTENDANCE_FINAL_HOURS = float(os.environ.get("ATTENDANCE_FINAL_HOURS", "24"))
    #: the mail thread or worker brings attendance of sessions under way up to date this often
    #: (app/attendance/jobs.py): what pages show of time in the room lags at most this much
    ATTENDANCE_POLL_SECONDS = float(os.environ.get("ATTENDANCE_POLL_SECONDS", "15"))
    #: offline scans reach the server at most this many hours after a session's check-in closed
    CHECKIN_SYNC_GRACE_HOURS = float(os.environ.get("CHECKIN_SYNC_GRACE_HOURS", "12"))
    #: staff (role staff) open a session's check-in from this many hours before it opens (to
    #: download the offline list) until the sync grace above has passed
    CHECKIN_STAFF_LEAD_HOURS = float(os.environ.get("CHECKIN_STAFF_LEAD_HOURS", "24"))
    LIVE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "30"))
    # アーカイブ配信 (app/archive): the archive page sends a heartbeat every
    # ARCHIVE_HEARTBEAT_SECONDS while it is open; one within ARCHIVE_HEARTBEAT_GAP seconds of the
    # tab's last extends its viewing interval, a later one starts another (time away is not
    # counted); the API limits each person's heartbeats to ARCHIVE_HEARTBEATS_PER_USER.
    ARCHIVE_HEARTBEAT_SECONDS = int(os.environ.get("ARCHIVE_HEARTBEAT_SECONDS", "30"))
    ARCHIVE_HEARTBEAT_GAP = int(os.environ.get("ARCHIVE_HEARTBEAT_GAP", "90"))
    ARCHIVE_HEARTBEATS_PER_USER = os.environ.get("ARCHIVE_HEARTBEATS_PER_USER", "20 per minute")

    # Public base URL used in emails (links must work outside a request).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None  # None: mail is written to the log
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Kakawari <no-reply@kakawari.local>"
    )
    MAIL_SMTP_TIMEOUT = float(os.environ.get("MAIL_SMTP_TIMEOUT", "15"))
    # Mail goes through a queue (app/mail/). Who sends it: "thread" (a thread in the server
    # process; the default), "worker" (`flask mail worker`; production), "inline" (right after
    # the commit; the default under TESTING).
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY") or None
    MAIL_POLL_SECONDS = float(os.environ.get("MAIL_POLL_SECONDS", "5"))
    MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "20"))
    # Retries: after 30 s, doubling up to an hour, 12 attempts in all (about 5 hours).
    MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS", "30"))
    MAIL_RETRY_MAX_SECONDS = float(os.environ.get("MAIL_RETRY_MAX_SECONDS", "3600"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "12"))
    # A mail claimed by a drainer that died is claimed again after this long.
    MAIL_SENDING_LEASE_SECONDS = float(os.environ.get("MAIL_SENDING_LEASE_SECONDS", "300"))
    # Reminders (app/registration/reminders.py): the mail thread or worker looks for due ones
    # this often; one not sent within the grace after its moment (no sender ran) is dropped.
    REMINDER_POLL_SECONDS = float(os.environ.get("REMINDER_POLL_SECONDS", "60"))
    REMINDER_GRACE_MINUTES = float(os.environ.get("REMINDER_GRACE_MINUTES", "60"))

    # Webhooks (app/webhooks/): sent by whoever sends the mail (WEBHOOKS_DELIVERY overrides:
    # inline, thread or worker), looked for this often, retried after 30 s doubling up to
    # 6 hours; an endpoint failing 10 times in a row or for 3 days is turned off.
    WEBHOOKS_DELIVERY = os.environ.get("WEBHOOKS_DELIVERY") or None
    WEBHOOKS_POLL_SECONDS = float(os.environ.get("WEBHOOKS_POLL_SECONDS", "5"))
    WEBHOOKS_BATCH_SIZE = int(os.environ.get("WEBHOOKS_BATCH_SIZE", "20"))
    WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "10"))
    WEBHOOKS_RETRY_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_SECONDS", "30"))
    WEBHOOKS_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_MAX_SECONDS", "21600"))
    WEBHOOKS_SENDING_LEASE_SECONDS = float(os.environ.get("WEBHOOKS_SENDING_LEASE_SECONDS", "120"))
    WEBHOOKS_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOKS_DISABLE_AFTER_FAILURES", "10"))
    WEBHOOKS_KEEP_DAYS = float(os.environ.get("WEBHOOKS_KEEP_DAYS", "30"))  # delivered rows
    WEBHOOKS_DISABLE_AFTER_SECONDS = float(
        os.environ.get("WEBHOOKS_DISABLE_AFTER_SECONDS", str(3 * 24 * 3600))
    )
    # Server-side request forgery: endpoints on private, loopback or link-local addresses are
    # refused unless this is set (tests, a closed network); plain http only to these hosts.
    WEBHOOKS_ALLOW_PRIVATE = _bool("WEBHOOKS_ALLOW_PRIVATE")
    WEBHOOKS_HTTP_HOSTS = tuple(
        h.strip().lower() for h in os.environ.get("WEBHOOKS_HTTP_HOSTS", "").split(",") if h.strip()
    )

    # Cookies and transport. HTTPS=1 in production turns on Secure cookies, HSTS and redirects.
    HTTPS = _bool("HTTPS")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14

    #: the largest request body read (bytes): the API's biggest, an offline scanner's sync of
    #: 500 scans, is ~150 KB; there are no uploads. Larger ones get 413 before any parsing.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))

    WTF_CSRF_TIME_LIMIT = None  # a form left open in a tab during a workshop must still submit

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    LANGUAGES = ("ja", "en")

    # Rate limits (Flask-Limiter syntax). Failed logins count per account and per address.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not turn logins and sign-ups into 500s: each process counts in its own
    # memory until Redis answers again, and a hung Redis costs a request 2 s, not forever.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes")
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "50 per 15 minutes")
    SIGNUPS_PER_ADDRESS = os.environ.get("SIGNUPS_PER_ADDRESS", "20 per hour")
    PASSWORD_RESETS_PER_ADDRESS = os.environ.get("PASSWORD_RESETS_PER_ADDRESS", "10 per hour")
    #: attempts at a claim code (registrations:claim): codes are random, guessing is refused
    CLAIMS_PER_ACCOUNT = os.environ.get("CLAIMS_PER_ACCOUNT", "10 per hour")
    #: the public certificate check: enough for people, too few to guess codes
    CERTIFICATE_CHECKS_PER_ADDRESS = os.environ.get(
        "CERTIFICATE_CHECKS_PER_ADDRESS", "20 per minute;200 per day"
    )

    #: werkzeug's own default, scrypt at n=2**15 (about 50-80 ms a hash here, slow on purpose);
    #: not read from the environment. The test suite alone lowers it (tests/conftest.py).
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 -- a hash method, not a password
    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds a reset link stays valid
    INVITATION_MAX_AGE_DAYS = 14

    # JSON API / OpenAPI (flask-smorest)
    API_TITLE = "Kakawari API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    JSON_SORT_KEYS = False

    PROXY_FIX = _bool("PROXY_FIX")  # trust X-Forwarded-* from one reverse proxy (nginx)
    # The capacity lock (app/registration/capacity.py) has no setting: it is always taken.
