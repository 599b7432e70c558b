"""Who drains the queue, by MAIL_DELIVERY:

- `inline`: right after the commit that queued a mail, in that process (the tests: a test
  reads the SMTP server's inbox just after the request).
- `thread`: a daemon thread in the server process, woken by such a commit and every
  MAIL_POLL_SECONDS otherwise (`make run`: one process, no other service).
- `worker`: nothing in the web process; `flask mail worker` drains (production).

The thread and the worker also run the periodic jobs other areas add (reminders): each in an
app context of its own, committed here, at most every `seconds` per process.
"""

import logging
import os
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.mail.queue import PENDING, QUEUED_FLAG, drain

log = logging.getLogger("kakawari.mail")

MODES = ("inline", "thread", "worker")
_draining = ContextVar("kakawari_mail_draining", default=False)


def delivery_mode(app: Flask) -> str:
    mode = app.config.get("MAIL_DELIVERY") or ("inline" if app.testing else "thread")
    if mode not in MODES:
        raise RuntimeError(f"MAIL_DELIVERY must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def init_mail_delivery(app: Flask) -> None:
    """Check the mode now (a typo fails at start) and set up the thread's starter. The mode is
    read again at every commit, so a test may switch it."""
    if delivery_mode(app) == "thread":
        app.before_request(_drainer(app).ensure_running)  # also sends what waited a restart
    app.teardown_appcontext(_warn_uncommitted_mail)


def _drainer(app: Flask) -> "ThreadDrainer":
    if "mail_drainer" not in app.extensions:
        app.extensions["mail_drainer"] = ThreadDrainer(app)
    return app.extensions["mail_drainer"]


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.info.pop(QUEUED_FLAG, False):
        return
    app = current_app._get_current_object()
    mode = delivery_mode(app)
    if mode == "inline":
        drain_now(app)
    elif mode == "thread":
        _drainer(app).wake()  # started by the first request; until then the rows wait


def drain_now(app: Flask) -> None:
    drain_outside(app, drain, _draining, "the mail queue")


def drain_outside(app: Flask, drain_all: Callable[[], object], guard: ContextVar, what: str):
    """Run an outbox's drain in a fresh app context (its own database session: the committing
    session cannot be used inside its after_commit), once at a time per context (`guard`), and
    never raise into the code that committed."""
    if guard.get():
        return
    token = guard.set(True)
    try:
        with app.app_context():
            drain_all()
    except Exception:
        log.exception("Draining %s failed", what)
    finally:
        guard.reset(token)


@dataclass
class PeriodicJob:
    name: str
    seconds: float
    run: Callable[[], object]
    #: time.monotonic() of its last run in this process
    last: float | None = None


def add_periodic_job(app: Flask, name: str, seconds: float, run: Callable[[], object]) -> None:
    """Have the mail thread and `flask mail worker` call `run()` every `seconds`, in an app
    context, and commit what it did (it only flushes). Several processes may run it at once:
    the job itself must make that harmless."""
    app.extensions.setdefault("mail_periodic_jobs", []).append(PeriodicJob(name, seconds, run))


def run_periodic_jobs(app: Flask) -> None:
    """Run the jobs whose time has come; a failing job is logged and rolled back."""
    now = time.monotonic()
    for job in app.extensions.get("mail_periodic_jobs", ()):
        if job.last is not None and now - job.last < job.seconds:
            continue
        job.last = now
        try:
            with app.app_context():
                job.run()
                db.session.commit()
        except Exception:
            log.exception("Periodic job %s failed", job.name)


def _warn_uncommitted_mail(_exc) -> None:
    """A mail queued in a transaction that is still open when the context ends is dropped with
    it: the caller forgot to commit (or failed before it could)."""
    if db.session.registry.has() and db.session.info.get(PENDING):
        log.warning("Mail queued but its transaction was never committed: not sent")


class ThreadDrainer:
    """A daemon thread per server process (started again in a forked worker)."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        self._pid = None

    def ensure_running(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="kakawari-mail", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        poll = self.app.config["MAIL_POLL_SECONDS"]
        while not self._stop.is_set():
            run_periodic_jobs(self.app)
            drain_now(self.app)
            self._wake.wait(poll)
            self._wake.clear()
