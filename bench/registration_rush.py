"""Registration rush: N people register for one session of capacity C at the same instant,
against a real server (gunicorn + gevent workers) on its own database.

    .venv/bin/python bench/registration_rush.py                  # 300 clients, 20 seats
    .venv/bin/python bench/registration_rush.py --total 3000     # sustained throughput

Prints registrations/s, p50/p99 latency, confirmed, waitlisted and overbooked counts. The
database is a throwaway PostgreSQL one unless --database-url names an existing empty one.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.concurrency.live import (  # noqa: E402 -- after the path is set
    Call,
    Database,
    LiveServer,
    cpu_check,
    make_people,
    make_stage,
    percentile,
    place_counts,
    postgres_cpu_seconds,
    registration_calls,
    rush,
    setup_app,
    sustained,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300, help="simultaneous clients (300)")
    parser.add_argument("--capacity", type=int, default=20, help="venue seats (20)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn gevent workers (3)")
    parser.add_argument(
        "--total",
        type=int,
        default=0,
        help="sustained mode: this many registrations sent by --clients keep-alive clients",
    )
    parser.add_argument(
        "--database-url",
        help="an existing, empty database to use and keep (default: a throwaway PostgreSQL one)",
    )
    parser.add_argument(
        "--unlocked",
        action="store_true",
        help="control run: REGISTRATION_LOCKING=0 and a 50 ms race window (it should overbook)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def own_backends_cpu_seconds(database: str) -> float:
    """CPU time of the PostgreSQL backends serving `database` (their process title names it):
    other sessions' work on a shared machine is left out, unlike postgres_cpu_seconds()."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            title = stat.with_name("cmdline").read_bytes().decode(errors="replace")
            raw = stat.read_text()
        except OSError:
            continue
        if not title.startswith("postgres:") or f" {database} " not in title:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def report(results, wall: float, counts: dict, capacity: int) -> dict:
    answered = Counter(r.status for r in results)
    ok = [r for r in results if r.status == 201]
    latencies = sorted(r.seconds * 1000 for r in results if r.status)
    confirmed = counts.get("confirmed", 0)
    print(f"requests        {len(results)}  answers {dict(sorted(answered.items()))}")
    print(f"registrations/s {len(ok) / wall:.1f}  ({len(ok)} in {wall:.2f} s)")
    print(
        f"latency ms      p50 {percentile(latencies, 50):.0f}  p99 {percentile(latencies, 99):.0f}"
    )
    print(f"confirmed       {confirmed}  (capacity {capacity})")
    print(f"waitlisted      {counts.get('waitlisted', 0)}")
    print(f"overbooked      {max(confirmed - capacity, 0)}")
    return {
        "requests": len(results),
        "answers": {str(k): n for k, n in sorted(answered.items())},
        "errors": sum(n for k, n in answered.items() if k not in (201, 409)),
        "registrations_per_s": round(len(ok) / wall, 1),
        "p50_ms": round(percentile(latencies, 50)),
        "p99_ms": round(percentile(latencies, 99)),
        "confirmed": confirmed,
        "capacity": capacity,
        "waitlisted": counts.get("waitlisted", 0),
        "overbooked": max(confirmed - capacity, 0),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    database = Database(args.database_url) if args.database_url else Database.create("bench")
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-") as tmp:
        workdir = Path(tmp)
        app = None
        try:
            database.migrate()
            app = setup_app(database.url, workdir / "instance")
            stage = make_stage(app, args.capacity)
            people = make_people(app, args.total or args.clients, "bench")
            calls = registration_calls(stage, people)
            env = {"REGISTRATION_LOCKING": "0", "REGISTRATION_RACE_WINDOW": "0.05"}
            with LiveServer(
                database.url, workdir, workers=args.workers, env=env if args.unlocked else {}
            ) as server:
                mode = f"sustained, {args.clients} clients" if args.total else "one burst"
                print(f"{len(calls)} registrations ({mode}), {args.workers} gevent workers")
                # warm up: each worker opens its database connections, loads what it loads lazily
                page = Call("GET", f"/api/v1/series/{stage.series_id}", people[0].token)
                rush(server.port, [page] * 3 * args.workers * 15)
                print(f"machine         sum(range(10**7)) in {cpu_check():.2f} s")
                print(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
                name = database.url.rsplit("/", 1)[-1]
                cpu, database_cpu = server.cpu_seconds(), postgres_cpu_seconds()
                own_cpu = own_backends_cpu_seconds(name)
                client_cpu = time.process_time()
                if args.total:
                    results = sustained(server.port, calls, args.clients)
                else:
                    results = rush(server.port, calls)
                cpu = server.cpu_seconds() - cpu
                database_cpu = postgres_cpu_seconds() - database_cpu
                own_cpu = own_backends_cpu_seconds(name) - own_cpu
                client_cpu = time.process_time() - client_cpu
                wall = max(r.finished for r in results) - min(r.started for r in results)
            figures = report(results, wall, place_counts(app, stage.session_id), args.capacity)
            print(f"server CPU      {cpu / len(calls) * 1000:.0f} ms per request (workers)")
            print(
                f"database CPU    {own_cpu / len(calls) * 1000:.1f} ms per request (this database's"
                f" backends; all PostgreSQL processes: {database_cpu / len(calls) * 1000:.1f} ms)"
            )
            client_ms = client_cpu / len(calls) * 1000
            print(f"client CPU      {client_ms:.1f} ms per request (this process)")
            figures["server_cpu_ms_per_request"] = round(cpu / len(calls) * 1000)
            figures["database_cpu_ms_per_request"] = round(own_cpu / len(calls) * 1000, 1)
            figures["all_postgres_cpu_ms_per_request"] = round(database_cpu / len(calls) * 1000, 1)
            figures["client_cpu_ms_per_request"] = round(client_ms, 1)
            figures["cpu_check_s"] = round(cpu_check(), 2)
            if args.json:
                args.json.write_text(json.dumps(figures, indent=2))
        finally:
            database.drop(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
