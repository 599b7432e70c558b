"""The peer of Kakawari's check-in scan in `make bench`: pretix, installed from PyPI into a
throwaway virtualenv outside the repository, on a throwaway PostgreSQL database, served by
gunicorn.

    .venv/bin/python bench/peers/pretix_setup.py --tickets 100   # set up, answer one scan, stop

The virtualenv is made once under ~/.cache/kakawari-bench/pretix-<version> (or
$KAKAWARI_BENCH_CACHE) with pip's own configured index, and reused; `rm -r` it to start again.
Each run creates a database, migrates it (`python -m pretix migrate`), writes an organiser, an
event whose check-in list admits every product, a team with an API token that may check in,
and N paid orders of one admission ticket each (inserted in bulk, as the Kakawari side's
tickets are), then starts `gunicorn pretix.wsgi` with gthread workers (keep-alive, as
Kakawari's gevent workers). Check-ins are `POST /api/v1/organizers/{o}/checkinrpc/redeem/`
with `Authorization: Token …`. Everything but the virtualenv is removed at the end.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.concurrency.live import PG_ADMIN_URL, free_port  # noqa: E402

PRETIX_VERSION = "2026.8.0"
CACHE = Path(os.environ.get("KAKAWARI_BENCH_CACHE", Path.home() / ".cache" / "kakawari-bench"))

# Run inside pretix's virtualenv: organiser, event, check-in list, team token and the orders.
FIXTURES = r"""
import json, os, secrets, sys
from datetime import timedelta
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.settings")
django.setup()
from django.db import transaction
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import (CheckinList, Event, Item, Order, OrderPosition, Organizer,
                                Team, TeamAPIToken)

n = int(sys.argv[1])
with scopes_disabled(), transaction.atomic():
    organizer = Organizer.objects.create(name="Shimane Lab", slug="bench")
    start = now() + timedelta(minutes=30)
    event = Event.objects.create(organizer=organizer, name="Matsue", slug="scan", currency="JPY",
                                 date_from=start, date_to=start + timedelta(hours=3), live=True)
    item = Item.objects.create(event=event, name="Ticket", default_price=0, admission=True)
    checkin_list = CheckinList.objects.create(event=event, name="Entrance", all_products=True)
    team = Team.objects.create(organizer=organizer, name="Door", all_events=True,
                               all_event_permissions=True)
    token = TeamAPIToken.objects.create(team=team, name="phones")
    orders = Order.objects.bulk_create(
        Order(event=event, organizer=organizer, code=f"K{i:06d}", status=Order.STATUS_PAID,
              email=f"p{i}@example.jp",
              datetime=now(), expires=now() + timedelta(days=10), total=0, locale="en",
              sales_channel=organizer.sales_channels.get(identifier="web"))
        for i in range(n)
    )
    tickets = [secrets.token_hex(16) for _ in range(n)]
    OrderPosition.all.bulk_create(
        OrderPosition(order=o, organizer=organizer, item=item, price=0, tax_rate=0, tax_value=0,
                      positionid=1, secret=s, pseudonymization_id=f"P{i:09d}")
        for i, (o, s) in enumerate(zip(orders, tickets))
    )
print(json.dumps({"organizer": organizer.slug, "list": checkin_list.pk, "token": token.token,
                  "tickets": tickets}))
"""


def venv_dir(version: str = PRETIX_VERSION) -> Path:
    return CACHE / f"pretix-{version}"


def ensure_venv(version: str = PRETIX_VERSION) -> Path:
    """pretix==version and gunicorn in a virtualenv of their own (made once, then reused)."""
    venv = venv_dir(version)
    marker = venv / ".kakawari-installed"
    if marker.exists():
        return venv
    print(f"installing pretix {version} into {venv} (once; a few minutes)", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    done = subprocess.run(
        [*pip, f"pretix=={version}", "gunicorn"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install pretix {version}:\n{done.stderr[-4000:]}")
    marker.write_text(version)
    return venv


@dataclass
class Pretix:
    """A running pretix with `tickets` fresh tickets; use as a context manager."""

    tickets: int
    workers: int = 3
    threads: int = 4
    version: str = PRETIX_VERSION
    port: int = 0
    database: str = ""
    organizer: str = ""
    list_id: int = 0
    token: str = ""
    secrets: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def redeem_path(self) -> str:
        return f"/api/v1/organizers/{self.organizer}/checkinrpc/redeem/"

    def __enter__(self) -> "Pretix":
        self.venv = ensure_venv(self.version)
        self.workdir = Path(tempfile.mkdtemp(prefix="kakawari-pretix-"))
        self.database = f"kakawari_bench_pretix_{secrets.token_hex(4)}"
        self.port = free_port()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        try:
            self._configure()
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def url(self) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.database

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRETIX_", "DJANGO_"))}
        env["PRETIX_CONFIG_FILE"] = str(self.workdir / "pretix.cfg")
        env.pop("VIRTUAL_ENV", None)
        return env

    def _configure(self) -> None:
        pg = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_URL)
        (self.workdir / "data").mkdir()
        (self.workdir / "pretix.cfg").write_text(
            "[pretix]\ninstance_name=bench\n"
            f"url=http://127.0.0.1:{self.port}\ndatadir={self.workdir / 'data'}\n"
            "currency=JPY\nregistration=off\n\n"
            "[database]\nbackend=postgresql\n"
            f"name={self.database}\nuser={pg.get('user', 'postgres')}\n"
            f"password={pg.get('password', '')}\nhost={pg.get('host', '127.0.0.1')}\n"
            f"port={pg.get('port', 5432)}\n\n"
            "[mail]\nfrom=bench@example.jp\nhost=127.0.0.1\nport=1\n\n"
            "[django]\ndebug=off\n"
        )
        python = str(self.venv / "bin" / "python")
        schema = self.venv / "migrated-schema.sql"
        started = time.perf_counter()
        if not schema.exists():
            # migrating pretix takes minutes on this machine: do it once, keep the result as a
            # plain SQL dump beside the virtualenv, and load that into every new database
            done = subprocess.run(
                [python, "-m", "pretix", "migrate", "--noinput"],
                cwd=self.workdir,
                env=self._env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"pretix migrate failed:\n{(done.stdout + done.stderr)[-4000:]}")
            dump = subprocess.run(
                ["pg_dump", "--no-owner", "--no-privileges", "-d", self.url()],
                capture_output=True,
                text=True,
                check=True,
            )
            schema.with_suffix(".tmp").write_text(dump.stdout)
            schema.with_suffix(".tmp").rename(schema)
            print(
                f"pretix {self.version}: migrated in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        else:
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(), "-f", str(schema)],
                capture_output=True,
                check=True,
            )
        script = self.workdir / "fixtures.py"
        script.write_text(FIXTURES)
        done = subprocess.run(
            [python, str(script), str(self.tickets)],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pretix fixtures failed:\n{done.stderr[-4000:]}")
        made = json.loads(done.stdout.strip().splitlines()[-1])
        self.organizer, self.list_id, self.token = made["organizer"], made["list"], made["token"]
        self.secrets = made["tickets"]

    def _start(self, timeout: float = 120) -> None:
        self.log_path = self.workdir / "gunicorn.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    str(self.venv / "bin" / "gunicorn"),
                    "pretix.wsgi",
                    "-k",
                    "gthread",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--keep-alive",
                    "5",
                    "-b",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=self.workdir,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        import http.client

        while True:  # ready when every worker could answer: ask a few times
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pretix did not start:\n{self.log_path.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request(
                    "GET", "/api/v1/organizers/", headers={"Authorization": f"Token {self.token}"}
                )
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10)
    args = parser.parse_args(argv)
    import http.client

    with Pretix(args.tickets) as pretix:
        conn = http.client.HTTPConnection("127.0.0.1", pretix.port, timeout=30)
        body = {"secret": pretix.secrets[0], "lists": [pretix.list_id], "type": "entry"}
        headers = {"Authorization": f"Token {pretix.token}", "Content-Type": "application/json"}
        for _ in range(2):  # a first scan, then the same ticket again
            conn.request("POST", pretix.redeem_path, json.dumps(body), headers)
            response = conn.getresponse()
            print(response.status, json.loads(response.read()).get("status"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
