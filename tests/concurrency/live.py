"""A real server to fire simultaneous requests at, for the concurrency tests and the benchmark.

A throwaway database migrated with Alembic (`flask db upgrade`), gunicorn with gevent workers
in their own process group, people and API tokens written straight into the database, and
requests fired from threads released together by a barrier (pretix tests its quotas this way).
"""

import atexit
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")
PG_ADMIN_URL = os.environ.get("KAKAWARI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database ------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    #: the database this run created (and drops); None for one it was given
    created: str | None = None

    @classmethod
    def create(cls, prefix: str = "kakawari_live") -> "Database":
        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, name)

    @classmethod
    def throwaway(cls, kind: str, workdir: Path, prefix: str) -> "Database":
        """A file in `workdir` for "sqlite", else a new PostgreSQL database (drop() drops it)."""
        if kind == "sqlite":
            return cls(f"sqlite:///{workdir / 'bench.db'}")
        return cls.create(prefix)

    def migrate(self) -> None:
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": self.url},
            check=True,
            capture_output=True,
        )

    def drop(self, app=None) -> None:
        """Close `app`'s connections (the fixtures' app in this process), then drop the
        database this run created."""
        if app is not None:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        if self.created:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)')


# --- the server --------------------------------------------------------------------------------


class LiveServer:
    """`gunicorn -k gevent -w N wsgi:app` on a free port; always stopped with its workers."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 3, env=None):
        self.database_url, self.workdir, self.workers = database_url, Path(workdir), workers
        self.env = dict(env or {})
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / f"gunicorn-{self.port}.log"

    def __enter__(self) -> "LiveServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 120) -> None:
        ready = self.workdir / f"ready-{self.port}"
        ready.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MAIL_SERVER")}
        env.update(
            DATABASE_URL=self.database_url,
            SECRET_KEY=secrets.token_hex(16),
            KAKAWARI_INSTANCE_DIR=str(self.workdir / "instance"),
            KAKAWARI_READY_DIR=str(ready),
            # as in production: mail is queued by the request and sent by `flask mail worker`
            MAIL_DELIVERY="worker",
        )
        # as in production: a fixed pool, no overflow connections opened and closed under load
        env.setdefault("DATABASE_POOL_SIZE", "15")
        env.setdefault("DATABASE_MAX_OVERFLOW", "0")
        env.update(self.env)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-k",
                    "gevent",
                    "-w",
                    str(self.workers),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "-c",
                    str(GUNICORN_CONF),
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the workers too
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while len(list(ready.iterdir())) < self.workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)  # quick shutdown
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user + system, from /proc)."""
        total = 0
        for ready in (self.workdir / f"ready-{self.port}").iterdir():
            try:
                stat = Path(f"/proc/{ready.name}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(stat[11]) + int(stat[12])
        return total / os.sysconf("SC_CLK_TCK")


# --- people and a session to fight over --------------------------------------------------------


@dataclass
class Person:
    user_id: int
    token: str


def setup_app(database_url: str, instance_dir: Path):
    """The app in this process, on the same database, to write the fixtures and read results."""
    from app import create_app
    from config import Config, normalize_database_url

    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=normalize_database_url(database_url),
        SECRET_KEY="live",
        INSTANCE_DIR=instance_dir,
        RATELIMIT_STORAGE_URI="memory://",
        MAIL_SERVER=None,
    )


def make_people(app, n: int, prefix: str = "rush") -> list[Person]:
    """n participants with one API token each, inserted in one transaction."""
    from app.accounts.models import ApiToken, User
    from app.accounts.services import TOKEN_PREFIX
    from app.core.secrets import hash_secret
    from app.core.types import utcnow
    from app.extensions import db

    tag = secrets.token_hex(3)
    with app.app_context():
        users = [
            User(
                email=f"{prefix}.{tag}.{i}@example.jp",
                password_hash="unusable",  # they only ever use their token
                name=f"参加者 {i}",
                furigana="さんかしゃ",
                prefecture="13",
                locale="ja",
                consent_at=utcnow(),
                consent_version="2026-04",
            )
            for i in range(n)
        ]
        db.session.add_all(users)
        db.session.flush()
        secrets_ = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in users]
        db.session.add_all(
            ApiToken(user_id=u.id, name="live", token_hash=hash_secret(s), prefix=s[:10])
            for u, s in zip(users, secrets_, strict=True)
        )
        db.session.commit()
        people = [Person(u.id, s) for u, s in zip(users, secrets_, strict=True)]
        db.session.remove()
    return people


@dataclass
class Stage:
    """A published first-come series with one venue session, and an organiser of its org."""

    series_id: int
    session_id: int
    organiser: Person


def make_stage(app, capacity: int, *, waitlist: bool = True) -> Stage:
    from app.core.types import utcnow
    from app.events import services as events
    from app.extensions import db
    from app.orgs.models import Membership, Organization, Role

    (organiser,) = make_people(app, 1, "organiser")
    now = utcnow()
    with app.app_context():
        org = Organization(name="しまね関係人口ラボ")
        db.session.add(org)
        db.session.add(Membership(org=org, user_id=organiser.user_id, role=Role.organizer))
        db.session.commit()
        series = events.create_series(
            org,
            None,
            {
                "title": "しまね関係人口ゼミ 2026",
                "registration_opens_at": now - timedelta(days=1),
                "registration_closes_at": now + timedelta(days=20),
                "waitlist_enabled": waitlist,
                "published": True,
            },
        )
        db.session.commit()
        start = now + timedelta(days=30)
        session = events.add_session(
            series,
            None,
            {
                "title": "第1回 松江",
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "format": "venue",
                "venue_name": "松江市市民活動センター",
                "venue_capacity": capacity,
            },
        )
        db.session.commit()
        stage = Stage(series.id, session.id, organiser)
        db.session.remove()
    return stage


# --- firing requests ---------------------------------------------------------------------------


@dataclass
class Result:
    status: int  # 0 when no answer came (connection error, timeout)
    body: object
    started: float
    finished: float
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Call:
    method: str
    path: str
    token: str
    body: object = None
    #: more request headers (If-Match, Idempotency-Key)
    headers: dict = field(default_factory=dict)


def _send(conn: http.client.HTTPConnection, call: Call, **extra_headers) -> Result:
    headers = {"Authorization": f"Bearer {call.token}", "Accept": "application/json"}
    headers.update(call.headers)
    headers.update(extra_headers)
    payload = None
    if call.body is not None:
        payload = json.dumps(call.body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        conn.request(call.method, call.path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return Result(0, None, started, time.perf_counter(), repr(exc))
    finished = time.perf_counter()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return Result(response.status, body, started, finished)


def one(port: int, call: Call, timeout: float = 30) -> Result:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return _send(conn, call)
    finally:
        conn.close()


def rush(port: int, calls: list[Call], timeout: float = 120) -> list[Result]:
    """Every call on its own connection, opened beforehand, all sent at the same instant."""
    results: list[Result | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def fire(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.connect()
            barrier.wait(timeout)
            results[i] = _send(conn, calls[i])
        except Exception as exc:  # reported as a failed call
            now = time.perf_counter()
            results[i] = Result(0, None, now, now, repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=fire, args=(i,), daemon=True) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 10)
    return results


def sustained(port: int, calls: list[Call], clients: int, timeout: float = 120) -> list[Result]:
    """`clients` clients sending the calls one after another, as fast as the server answers
    (throughput rather than one burst). A new connection per call, as browsers of different
    people would: a held keep-alive connection would keep its worker slot from the others."""
    results: list[Result | None] = [None] * len(calls)
    next_call = iter(range(len(calls)))
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        barrier.wait(timeout)
        while True:
            with lock:
                i = next(next_call, None)
            if i is None:
                break
            results[i] = _send(conn, calls[i], Connection="close")
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def registration_calls(stage: Stage, people: list[Person], body=None) -> list[Call]:
    path = f"/api/v1/series/{stage.series_id}/registrations"
    return [Call("POST", path, p.token, body or {"mode": "venue", "consent": True}) for p in people]


def place_counts(app, session_id: int) -> dict[str, int]:
    """{status: places} of one session, read through the app (any database)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.registration.models import Place

    with app.app_context():
        rows = db.session.execute(
            select(Place.status, func.count())
            .where(Place.session_id == session_id)
            .group_by(Place.status)
        ).all()
        db.session.remove()
    return {status.value: n for status, n in rows}


def postgres_cpu_seconds() -> float:
    """CPU time PostgreSQL's processes on this machine have used so far (from /proc; a backend
    that exits in between takes its share with it, so measure with a fixed pool)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        if raw[raw.index("(") + 1 : raw.rindex(")")] != "postgres":
            continue
        fields = raw.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_check() -> float:
    """CPU seconds for a fixed piece of pure Python: about 0.1-0.2 s on a quiet modern core.
    More means a slow or busy CPU, and every figure of a benchmark run scales with it."""
    started = time.process_time()
    sum(range(10**7))
    return time.process_time() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]
