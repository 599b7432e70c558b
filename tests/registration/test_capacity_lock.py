"""The capacity lock is always taken: no configuration or environment variable switches it off.
Only the control experiment's server (tests/concurrency/gunicorn_conf.py) does, in code."""

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event

from app.extensions import db
from app.registration import capacity
from tests.registration.factories import make_series

ROOT = Path(__file__).resolve().parents[2]

#: the app as production builds it (wsgi.py, config.Config), asked whether it locks
PROBE = """
from app.registration import capacity
from wsgi import app

with app.app_context():
    print("locking", capacity.locking(), sorted(k for k in app.config if "LOCK" in k))
"""

#: what takes the lock: a row lock on PostgreSQL, the UPDATE of the sessions on SQLite
LOCK_STATEMENT = re.compile(r"FOR NO KEY UPDATE|^\s*UPDATE\s+\"?session\"?\s", re.I)


def test_registration_locking_0_in_a_production_apps_environment_leaves_the_lock_on(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "MAIL_SERVER", "DATABASE_URL")
    }
    env.update(
        REGISTRATION_LOCKING="0",
        REGISTRATION_RACE_WINDOW="0.05",
        DATABASE_URL=f"sqlite:///{tmp_path / 'kakawari.db'}",
        KAKAWARI_INSTANCE_DIR=str(tmp_path),
        SECRET_KEY="probe",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = [line for line in done.stdout.splitlines() if line.startswith("locking")]
    assert answer == ["locking True []"], done.stdout[-3000:]


def lock_statements(app, session_id: int) -> list[str]:
    """The statements of a capacity.locked() block that take the lock."""
    seen = []

    def remember(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            with capacity.locked([session_id]):
                pass
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    return [s for s in seen if LOCK_STATEMENT.search(s)]


def test_the_lock_is_taken_whatever_the_environment_says(app, world, monkeypatch):
    with app.app_context():
        session_id = make_series(world["org"]).sessions[0].id
        db.session.commit()
    monkeypatch.setenv("REGISTRATION_LOCKING", "0")
    monkeypatch.setenv("REGISTRATION_RACE_WINDOW", "0.05")
    monkeypatch.setitem(app.config, "REGISTRATION_LOCKING", False)  # the old setting: ignored
    assert lock_statements(app, session_id)


def test_only_the_control_experiment_switches_it_off(app, world, monkeypatch):
    with app.app_context():
        session_id = make_series(world["org"]).sessions[0].id
        db.session.commit()
    monkeypatch.setattr(app, "extensions", dict(app.extensions))  # restored afterwards
    capacity.unlock_for_control_experiment(app, 0)
    assert lock_statements(app, session_id) == []
