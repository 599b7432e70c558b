"""PostgreSQL restarts, and later goes away for a few seconds, while two phones keep scanning
at the venue. The phones do what the scanner page does (on an error or no answer, send the
same scan again with the same nonce), and afterwards every ticket has exactly one check-in:
none lost, none twice. The server is not restarted: it finds its database again by itself.

A private PostgreSQL is used (initdb into a temporary directory, on a free port), so the
machine's own cluster and everyone else's databases are never touched."""

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.concurrency.live import Database, LiveServer, setup_app
from tests.concurrency.test_checkin_concurrency import checkin_rows, make_venue
from tests.resilience.faults import PrivatePostgres, wait_until
from tests.resilience.web import Visitor

pytestmark = pytest.mark.resilience

TICKETS = 80
PHONES = 2
PAUSE = 0.05  # between two scans of one phone
DOWN_FOR = 2.0  # seconds of the outage after the restart


class Phone:
    """Scans its tickets one after another; retries each until it gets a verdict."""

    def __init__(self, port: int, session_id: int, token: str, name: str, tickets):
        self.visitor = Visitor(port, timeout=5)
        self.session_id, self.token, self.name, self.tickets = session_id, token, name, tickets
        self.verdicts: dict[str, dict] = {}  # nonce -> the verdict finally received
        self.errors: Counter = Counter()  # status (0: no answer) -> times, before a retry
        self.done = 0

    def run(self) -> None:
        for i, (_rid, secret) in enumerate(self.tickets):
            nonce = f"{self.name}-{i}"
            deadline = time.monotonic() + 60
            while True:
                step = self.visitor.scan(self.session_id, self.token, secret, nonce)
                if step.status == 200:
                    self.verdicts[nonce] = json.loads(step.detail)
                    break
                self.errors[step.status] += 1
                if time.monotonic() > deadline:
                    raise AssertionError(f"{nonce} never got a verdict: {step}")
                time.sleep(0.2)  # the scanner page waits a moment, then sends the same scan
            self.done += 1
            time.sleep(PAUSE)


def test_postgres_restarts_while_scans_arrive(tmp_path):
    pg = PrivatePostgres()
    server = None
    try:
        pg.start()
        Database(pg.url).migrate()
        app = setup_app(pg.url, tmp_path / "instance")
        venue = make_venue(app, TICKETS, phones=PHONES)
        server = LiveServer(pg.url, tmp_path, workers=2)
        server.start()
        workers = {p.name for p in Path(tmp_path, f"ready-{server.port}").iterdir()}
        share = TICKETS // PHONES
        phones = [
            Phone(
                server.port,
                venue.session_id,
                venue.phones[n].token,
                f"phone{n}",
                venue.tickets[n * share : (n + 1) * share],
            )
            for n in range(PHONES)
        ]
        threads = [threading.Thread(target=p.run) for p in phones]
        for t in threads:
            t.start()

        def scanned() -> int:
            return sum(p.done for p in phones)

        wait_until(lambda: scanned() >= TICKETS // 4, 60, 0.02)
        pg.restart("fast")  # a restart: every pooled connection is gone
        at_restart = scanned()
        wait_until(lambda: scanned() >= at_restart + TICKETS // 4, 60, 0.02)
        after_restart = sum(sum(p.errors.values()) for p in phones)
        pg.stop("fast")  # and an outage: nothing answers for a while
        time.sleep(DOWN_FOR)
        pg.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads)

        errors = sum((p.errors for p in phones), Counter())
        print(f"retries by status: {dict(errors)}, {after_restart} of them around the restart")
        assert errors, "the outage went unnoticed: the test did not test anything"
        # the server says "try again" (503 with Retry-After) or does not answer; never a 4xx
        assert set(errors) <= {0, 503}, errors
        # every scan's final verdict is "ok": a retry of a scan that did get through is
        # recognised by its nonce and answered with the same check-in
        verdicts = {n: v for p in phones for n, v in p.verdicts.items()}
        assert len(verdicts) == TICKETS
        assert Counter(v["status"] for v in verdicts.values()) == {"ok": TICKETS}
        rows = checkin_rows(app, venue.session_id)
        assert Counter(rid for rid, _n, _d in rows) == {rid: 1 for rid, _s in venue.tickets}
        assert sorted(n for _r, n, _d in rows) == sorted(verdicts)
        assert len({v["checkin_id"] for v in verdicts.values()}) == TICKETS
        # the same server, with the same workers, answers again
        assert server.process.poll() is None
        assert {p.name for p in Path(tmp_path, f"ready-{server.port}").iterdir()} == workers
        assert Visitor(server.port).health().status == 200
    finally:
        if server:
            server.stop()
        pg.destroy()
