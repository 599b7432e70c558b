"""Things to break on purpose: a private PostgreSQL and a private Redis that a test starts,
stops and restarts itself (the machine's own PostgreSQL and Redis are never touched), and
socket clients that fail over to another server the way a browser behind a load balancer
does (connect again, authenticate again, join again, replace their state with the snapshot)."""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis
import socketio
from sqlalchemy import select

from app.extensions import db
from tests.concurrency.live import free_port

# --- a private PostgreSQL ----------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]  # the newest installed version
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return path


class PrivatePostgres:
    """`initdb` into a temporary directory and `pg_ctl` on a free port, trust authentication,
    superuser `postgres`. PostgreSQL refuses to run as root: as root, its directory belongs to
    the `postgres` user and every command runs as that user (runuser)."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kakawari-pg-"))
        self.data, self.logfile = self.dir / "data", self.dir / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args) -> None:
        command = [_pg_bin(tool), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def _ctl(self, action: str, *extra) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        self._run("pg_ctl", action, "-D", self.data, "-l", self.logfile, "-w", "-t", "60",
                  "-o", options, *extra)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-m", mode)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


# --- a private Redis ---------------------------------------------------------------------------


class PrivateRedis:
    """`redis-server` in the foreground on a free port, nothing saved to disk."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def subscribers(self, channel: str) -> int:
        """How many server processes listen on the live rooms' channel right now."""
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
        finally:
            client.close()


# --- a participant whose server may die ---------------------------------------------------------


class Participant:
    """A socket client in a live room that knows several server addresses, as a browser
    behind a load balancer would reach another server: when its server goes away it connects
    to the next address, joins again and merges the snapshot's chat into what it has seen."""

    def __init__(self, urls: list[str], token: str, session_id: int):
        self.urls, self.token, self.session_id = list(urls), token, session_id
        self.seen: set[int] = set()  # chat message ids received (broadcast or snapshot)
        self.acked: list[int] = []  # ids of the messages its own sends were acknowledged for
        self.failovers = 0
        self.joined = threading.Event()
        self._closing = False
        self._lock = threading.Lock()
        self.client = self._new_client()

    def _new_client(self) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.on("chat", self._on_chat, namespace="/live")
        client.on("disconnect", self._on_disconnect, namespace="/live")
        return client

    @property
    def url(self) -> str:
        return self.urls[0]

    def _on_chat(self, message) -> None:
        with self._lock:
            self.seen.add(message["id"])

    def _on_disconnect(self, *_reason) -> None:
        self.joined.clear()
        if not self._closing:  # not a goodbye of ours: the server went away
            threading.Thread(target=self._fail_over, daemon=True).start()

    def _fail_over(self) -> None:
        self.urls.append(self.urls.pop(0))
        self.failovers += 1
        for _ in range(50):
            if self._closing:
                return
            try:
                self.client = self._new_client()
                self.connect()
                return
            except Exception:
                time.sleep(0.2)

    def connect(self) -> dict:
        self.client.connect(
            self.url,
            namespaces=["/live"],
            transports=["websocket"],
            auth={"token": self.token},
            wait_timeout=10,
        )
        ack = self.client.call("join", {"session_id": self.session_id}, "/live", timeout=15)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        with self._lock:
            self.seen.update(m["id"] for m in ack["state"]["chat"])
        self.joined.set()
        return ack["state"]

    def say(self, text: str, timeout: float = 5) -> dict | None:
        """Send a chat message; its ack, or None when none came (the server died meanwhile)."""
        if not self.joined.wait(timeout):
            return None
        try:
            ack = self.client.call("chat", {"text": text}, "/live", timeout=timeout)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.SocketIOError):
            return None
        if ack.get("ok"):
            self.acked.append(ack["message"]["id"])
        return ack

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(Exception):
            self.client.disconnect()


def chat_ids(app, session_id: int) -> list[int]:
    """Ids of the chat messages stored for a session."""
    from app.live.models import ChatMessage

    with app.app_context():
        ids = db.session.scalars(
            select(ChatMessage.id).where(ChatMessage.session_id == session_id)
        ).all()
        db.session.remove()
    return list(ids)


def wait_until(predicate, timeout: float, every: float = 0.1, message="") -> None:
    """Poll until predicate() is true; `message` (or a function making it) says what failed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            detail = message() if callable(message) else message
            raise AssertionError(detail or f"not true after {timeout} s")
        time.sleep(every)


def start_together(servers) -> None:
    """Start several LiveServers at once (each takes seconds to import the app)."""
    errors = []

    def start(server):
        try:
            server.start()
        except Exception as exc:  # raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
