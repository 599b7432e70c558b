"""Check-in scans: scans/s and p50/p99 latency of `POST /api/v1/sessions/{id}/checkins` against
a real server, with 1,000 tickets for one session whose check-in is open.

    .venv/bin/python bench/checkin_scan.py --database sqlite       # one gunicorn gevent worker
    .venv/bin/python bench/checkin_scan.py --database postgresql   # gunicorn, 3 gevent workers

Three phases, each scanning every ticket once:
- open loop at a fixed rate (--rate, 100 scans/s): each scan leaves at its scheduled time,
  whatever happened to the earlier ones, and its latency counts from that time (so a slow
  server cannot hide its queue); first scans, so every one writes a check-in;
- closed loop (--clients keep-alive clients, each sending its next scan as soon as it has an
  answer): the maximum throughput, first scans again (the check-ins are cleared in between);
- the same closed loop once more: every ticket is already in (the yellow answer, no write).
The database is a throwaway one: an SQLite file in a temporary folder, or a new PostgreSQL
database (dropped at the end).

--peer (PostgreSQL) then sets up pretix (bench/peers/pretix_setup.py) beside the running server
and compares first scans, interleaved over --rounds rounds, with the same --clients keep-alive
clients: scans/s, p99 and server CPU per scan (process tree + the database's PostgreSQL
backends), medians and the ratios Kakawari / pretix.
"""

import argparse
import json
import os
import queue
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.peers.machine import CpuMeter, cpu_model  # noqa: E402
from tests.concurrency.live import (  # noqa: E402 -- after the path is set
    Call,
    Database,
    LiveServer,
    Result,
    _send,
    cpu_check,
    percentile,
    setup_app,
    sustained,
)
from tests.concurrency.test_checkin_concurrency import Venue, make_venue  # noqa: E402

TARGET_P99_MS = 50


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets, scans per phase")
    parser.add_argument("--rate", type=float, default=100, help="open-loop scans/s (100)")
    parser.add_argument(
        "--clients",
        type=int,
        default=8,
        help="closed-loop clients (8); a worker serves at most 15 connections at once "
        "(tests/concurrency/gunicorn_conf.py), so more than 15 per worker starve",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="PostgreSQL only: also set up pretix (bench/peers/pretix_setup.py) and compare the "
        "first scans of both with --clients keep-alive clients, interleaved, --rounds times",
    )
    parser.add_argument("--rounds", type=int, default=3, help="comparison rounds (3)")
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn gevent workers (default: 1 for SQLite, 3 for PostgreSQL)",
    )
    return parser.parse_args(argv)


# --- the scans ---------------------------------------------------------------------------------


def clear_checkins(app, session_id: int) -> None:
    from sqlalchemy import delete

    from app.checkin.models import CheckIn
    from app.extensions import db

    with app.app_context():
        db.session.execute(delete(CheckIn).where(CheckIn.session_id == session_id))
        db.session.commit()
        db.session.remove()


def scan_calls(venue: Venue) -> list[Call]:
    """Each ticket scanned once, the phones taking turns."""
    phones = venue.phones
    return [
        Call("POST", venue.scan_path, phones[i % len(phones)].token, {"secret": secret})
        for i, (_registration_id, secret) in enumerate(venue.tickets)
    ]


def statements_per_scan(app, venue: Venue, secrets: list[str]) -> tuple[int, int]:
    """SQL statements and commits of a first scan, in this process (the Flask test client, the
    same app and database as the server): the figure the machine's load does not move. The
    first of `secrets` is scanned uncounted (a token's first use in five minutes writes it),
    the second counted."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counted = {"statements": 0, "commits": 0}

    def statement(*_args):
        counted["statements"] += 1

    def commit(*_args):
        counted["commits"] += 1

    client = app.test_client()
    token = {"Authorization": f"Bearer {venue.phones[0].token}"}
    for i, secret in enumerate(secrets):
        if i == 1:
            event.listen(engine, "before_cursor_execute", statement)
            event.listen(engine, "commit", commit)
        try:
            answer = client.post(venue.scan_path, json={"secret": secret}, headers=token)
        finally:
            if i == 1:
                event.remove(engine, "before_cursor_execute", statement)
                event.remove(engine, "commit", commit)
        assert answer.status_code == 200 and answer.get_json()["status"] == "ok", answer.data
    return counted["statements"], counted["commits"]


# --- load --------------------------------------------------------------------------------------


def open_loop(port: int, calls: list[Call], rate: float, connections: int = 8) -> list[Result]:
    """Send call i at start + i/rate on whichever keep-alive connection (opened beforehand) is
    free; a scan's latency runs from its scheduled time to its answer."""
    import http.client

    results: list[Result | None] = [None] * len(calls)
    due_calls: queue.Queue = queue.Queue()

    ready = threading.Barrier(connections + 1)

    def connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()  # like phones already talking to the server, not the first hello
        ready.wait()
        while (item := due_calls.get()) is not None:
            i, due = item
            r = _send(conn, calls[i])
            if r.status == 0:  # the server closed the idle connection (keep-alive 2 s): again
                r = _send(conn, calls[i])
            results[i] = Result(r.status, r.body, due, r.finished, r.error)
        conn.close()

    threads = [threading.Thread(target=connection, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter() + 0.1
    for i in range(len(calls)):
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        due_calls.put((i, due))
    for _ in threads:
        due_calls.put(None)
    for t in threads:
        t.join()
    return results


def row(name: str, results: list[Result]) -> dict:
    latencies = [r.seconds * 1000 for r in results if r.status == 200]
    wall = max(r.finished for r in results) - min(r.started for r in results)
    verdicts = Counter(r.body["status"] if r.status == 200 else f"HTTP {r.status}" for r in results)
    return {
        "phase": name,
        "scans": len(results),
        "verdicts": ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items())),
        "scans/s": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
    }


def print_table(rows: list[dict]) -> None:
    print(
        f"{'phase':<34} {'scans':>5}  {'scans/s':>7}  {'p50 ms':>6}  {'p99 ms':>6}  {'max ms':>6}"
    )
    for r in rows:
        print(
            f"{r['phase']:<34} {r['scans']:>5}  {r['scans/s']:>7.1f}  {r['p50']:>6.1f}"
            f"  {r['p99']:>6.1f}  {r['max']:>6.1f}   {r['verdicts']}"
        )


# --- beside pretix ------------------------------------------------------------------------------


def keep_alive_loop(port: int, calls: list[Call], clients: int, **headers) -> list[Result]:
    """`clients` keep-alive connections (opened beforehand), each sending its next call as soon
    as it has an answer (a connection the server closed is opened again by http.client)."""
    import http.client

    results: list[Result | None] = [None] * len(calls)
    next_call = iter(range(len(calls)))
    lock = threading.Lock()
    ready = threading.Barrier(clients)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.connect()
        ready.wait()
        while True:
            with lock:
                i = next(next_call, None)
            if i is None:
                break
            r = _send(conn, calls[i], **headers)
            if r.status == 0:  # closed while idle: once more on a new connection
                r = _send(conn, calls[i], **headers)
            results[i] = r
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def measured(port, calls, clients, meter_args, ok_status, **headers) -> dict:
    """One first-scan phase under a CPU meter: scans/s, p50/p99, CPU ms per scan."""
    with CpuMeter(*meter_args) as meter:
        results = keep_alive_loop(port, calls, clients, **headers)
    ok = [r for r in results if r.status == ok_status]
    latencies = [r.seconds * 1000 for r in ok]
    wall = max(r.finished for r in results) - min(r.started for r in results)
    verdicts = Counter(
        r.body.get("status", "?") if isinstance(r.body, dict) else f"HTTP {r.status}"
        for r in results
    )
    app_cpu, pg_cpu = meter.seconds("app"), meter.seconds("pg")
    return {
        "scans": len(results),
        "ok": len(ok),
        "verdicts": dict(verdicts),
        "scans_per_s": len(ok) / wall,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "app_cpu_ms": app_cpu * 1000 / len(results),
        "pg_cpu_ms": pg_cpu * 1000 / len(results),
        "cpu_ms": (app_cpu + pg_cpu) * 1000 / len(results),
    }


#: figure, key, which way is better
COMPARED = [
    ("scans/s, first scans", "scans_per_s", "higher"),
    ("p99 ms", "p99_ms", "lower"),
    ("server CPU ms per first scan", "cpu_ms", "lower"),
    ("  of which the app's processes", "app_cpu_ms", "lower"),
    ("  of which their PostgreSQL backends", "pg_cpu_ms", "lower"),
]


def beside_pretix(args, server, database, app, venue, calls) -> dict:
    """Interleaved rounds: Kakawari's first scans (check-ins cleared before), then pretix's on a
    fresh slice of its tickets; the same keep-alive clients for both; medians and ratios."""
    from statistics import median

    from bench.peers.pretix_setup import PRETIX_VERSION, Pretix

    warm_up = 8 * server.workers  # scans of their own, before the measured rounds
    with Pretix(args.tickets * args.rounds + warm_up, workers=server.workers) as pretix:
        print(
            f"pretix {PRETIX_VERSION}: gunicorn pretix.wsgi, {pretix.workers} gthread workers "
            f"x {pretix.threads} threads, database {pretix.database}"
        )
        token = {"Authorization": f"Token {pretix.token}"}
        warm = Call("GET", "/api/v1/organizers/", pretix.token)
        keep_alive_loop(pretix.port, [warm] * (8 * pretix.workers), args.clients, **token)
        warm_scans = [
            Call(
                "POST",
                pretix.redeem_path,
                pretix.token,
                {"secret": secret, "lists": [pretix.list_id], "type": "entry"},
            )
            for secret in pretix.secrets[-warm_up:]
        ]
        keep_alive_loop(pretix.port, warm_scans, args.clients, **token)
        ours, theirs = [], []
        for r in range(args.rounds):
            clear_checkins(app, venue.session_id)
            ours.append(
                measured(
                    server.port,
                    calls,
                    args.clients,
                    (server.process.pid, database.url, database.created),
                    200,
                )
            )
            slice_ = pretix.secrets[r * args.tickets : (r + 1) * args.tickets]
            peer_calls = [
                Call(
                    "POST",
                    pretix.redeem_path,
                    pretix.token,
                    {"secret": secret, "lists": [pretix.list_id], "type": "entry"},
                )
                for secret in slice_
            ]
            theirs.append(
                measured(
                    pretix.port,
                    peer_calls,
                    args.clients,
                    (pretix.process.pid, pretix.url(), pretix.database),
                    201,
                    **token,
                )
            )
            print(
                f"round {r + 1}: Kakawari {ours[-1]['scans_per_s']:.1f}/s "
                f"{ours[-1]['verdicts']}, pretix {theirs[-1]['scans_per_s']:.1f}/s "
                f"{theirs[-1]['verdicts']}",
                flush=True,
            )
    print(
        f"\nfirst scans, {args.clients} keep-alive clients, median of {args.rounds} rounds"
        f"\n{'figure':<38} {'Kakawari':>9} {'pretix':>9} {'ratio':>7}"
    )
    table = {}
    for figure, key, better in COMPARED:
        a, b = median(x[key] for x in ours), median(x[key] for x in theirs)
        ratio = a / b if b else float("nan")
        table[key] = {"kakawari": round(a, 2), "pretix": round(b, 2), "ratio": round(ratio, 3)}
        print(f"{figure:<38} {a:>9.1f} {b:>9.1f} {ratio:>7.2f}  ({better} is better)")
    return {
        "pretix_version": PRETIX_VERSION,
        "clients": args.clients,
        "rounds": {"kakawari": ours, "pretix": theirs},
        "compared": table,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.peer and args.database != "postgresql":
        raise SystemExit("--peer compares on PostgreSQL: add --database postgresql")
    workers = args.workers or (1 if args.database == "sqlite" else 3)
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-") as tmp:
        workdir = Path(tmp)
        database = Database.throwaway(args.database, workdir, "bench_checkin")
        app = None
        try:
            database.migrate()
            # as the server's: mail is queued, sent by a worker (no mail thread in this process)
            os.environ["MAIL_DELIVERY"] = "worker"
            app = setup_app(database.url, workdir / "instance")
            venue = make_venue(app, args.tickets + 2, phones=4)
            in_process = [venue.tickets.pop()[1] for _ in range(2)]  # scanned in this process
            statements, commits = statements_per_scan(app, venue, in_process)
            calls = scan_calls(venue)
            load_before = os.getloadavg()[0]
            with LiveServer(database.url, workdir, workers=workers) as server:
                print(
                    f"{args.tickets} tickets, {args.database}, gunicorn {workers} gevent "
                    f"worker{'s' if workers > 1 else ''}, {args.clients} closed-loop clients; "
                    f"{os.cpu_count()} CPUs ({cpu_model()}), load average {load_before:.2f}, "
                    f"CPU check {cpu_check():.2f} s"
                )
                print(f"a first scan: {statements} SQL statements, {commits} commit(s)")
                status = Call("GET", venue.scan_path + "/status", venue.phones[0].token)
                warm_up = [status] * (4 * workers)
                sustained(server.port, warm_up, clients=2 * workers)
                rows = [
                    row(
                        f"open loop {args.rate:g}/s, first scans",
                        open_loop(server.port, calls, args.rate),
                    )
                ]
                clear_checkins(app, venue.session_id)
                first = sustained(server.port, calls, args.clients)
                rows.append(row("closed loop, first scans", first))
                again = sustained(server.port, calls, args.clients)
                rows.append(row("closed loop, already checked in", again))
                print_table(rows)
                peer = None
                if args.peer:
                    peer = beside_pretix(args, server, database, app, venue, calls)
            load_after = os.getloadavg()[0]
            print(
                f"load average after {load_after:.2f}, CPU check after the run {cpu_check():.2f} s"
            )
            p99 = rows[0]["p99"]
            verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
            print(f"target p99 < {TARGET_P99_MS} ms at {args.rate:g} scans/s: {verdict}")
            if args.json:
                figures = {
                    "database": args.database,
                    "workers": workers,
                    "rate": args.rate,
                    "achieved_per_s": round(rows[0]["scans/s"], 1),
                    "p50_ms": round(rows[0]["p50"], 1),
                    "p99_ms": round(p99, 1),
                    "max_throughput_per_s": round(rows[1]["scans/s"], 1),
                    "repeat_scans_per_s": round(rows[2]["scans/s"], 1),
                    "verdicts": {r["phase"]: r["verdicts"] for r in rows},
                    "statements_per_first_scan": statements,
                    "commits_per_first_scan": commits,
                    "cpu_check_s": round(cpu_check(), 2),
                    "load_before": round(load_before, 2),
                    "load_after": round(load_after, 2),
                }
                if peer:
                    figures["pretix"] = peer
                    for key, value in peer["compared"].items():
                        figures[f"kakawari_{key}"] = value["kakawari"]
                        figures[f"pretix_{key}"] = value["pretix"]
                        figures[f"vs_pretix_{key}"] = value["ratio"]
                args.json.write_text(json.dumps(figures, indent=2))
        finally:
            database.drop(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
