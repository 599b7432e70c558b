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
"""

import argparse
import json
import queue
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def main(argv=None) -> int:
    args = parse_args(argv)
    workers = args.workers or (1 if args.database == "sqlite" else 3)
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-") as tmp:
        workdir = Path(tmp)
        database = Database.throwaway(args.database, workdir, "bench_checkin")
        app = None
        try:
            database.migrate()
            app = setup_app(database.url, workdir / "instance")
            venue = make_venue(app, args.tickets, phones=4)
            calls = scan_calls(venue)
            with LiveServer(database.url, workdir, workers=workers) as server:
                print(
                    f"{args.tickets} tickets, {args.database}, gunicorn {workers} gevent "
                    f"worker{'s' if workers > 1 else ''}, {args.clients} closed-loop clients; "
                    f"CPU check {cpu_check():.2f} s"
                )
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
            print(f"CPU check after the run {cpu_check():.2f} s")
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
                    "cpu_check_s": round(cpu_check(), 2),
                }
                args.json.write_text(json.dumps(figures, indent=2))
        finally:
            database.drop(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
