"""Every benchmark, one after the other, and one table: figure, target, result.

    make bench                       # or: .venv/bin/python bench/all.py [--quick]

Each benchmark runs as its own process against its own gunicorn + gevent server and database
(see each script's docstring) and writes its figures as JSON; this script prints the table and
saves everything under bench/results/<UTC time>.json (not committed). --quick runs smaller
loads to check that the machinery works; its figures are not the ones to quote.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def benches(quick: bool) -> list[dict]:
    """name, script arguments, and the table rows each run's JSON feeds:
    (figure, target text, key, test of the value)."""
    return [
        {
            "name": "registration_rush",
            "args": ["--clients", "100" if quick else "300", "--capacity", "20"],
            "rows": [
                ("registrations/s (burst)", ">= 100", "registrations_per_s", lambda v: v >= 100),
                ("registration p99 ms", "—", "p99_ms", None),
                ("overbooked", "0", "overbooked", lambda v: v == 0),
                ("registration errors", "0", "errors", lambda v: v == 0),
            ],
        },
        {
            "name": "checkin_scan_sqlite",
            "script": "checkin_scan",
            "args": ["--database", "sqlite", "--tickets", "300" if quick else "1000"],
            "rows": [
                ("scan p99 ms at 100/s (sqlite)", "< 50", "p99_ms", lambda v: v < 50),
                ("scan max throughput/s (sqlite)", "—", "max_throughput_per_s", None),
            ],
        },
        {
            # beside pretix (bench/peers/pretix_setup.py), interleaved in the same run
            "name": "checkin_scan_postgresql",
            "script": "checkin_scan",
            "args": [
                "--database",
                "postgresql",
                "--tickets",
                "300" if quick else "1000",
                "--peer",
                "--rounds",
                "1" if quick else "3",
            ],
            "rows": [
                ("scan p99 ms at 100/s (postgresql)", "< 50", "p99_ms", lambda v: v < 50),
                ("scan max throughput/s (postgresql)", "—", "max_throughput_per_s", None),
                ("first scans/s, 8 keep-alive: Kakawari", "—", "kakawari_scans_per_s", None),
                ("first scans/s, 8 keep-alive: pretix", "—", "pretix_scans_per_s", None),
                ("  ratio Kakawari / pretix", ">= 8", "vs_pretix_scans_per_s", lambda v: v >= 8),
                ("first scan p99 ms: Kakawari", "—", "kakawari_p99_ms", None),
                ("first scan p99 ms: pretix", "—", "pretix_p99_ms", None),
                ("  ratio Kakawari / pretix", "—", "vs_pretix_p99_ms", None),
                ("CPU ms / first scan: Kakawari", "—", "kakawari_cpu_ms", None),
                ("CPU ms / first scan: pretix", "—", "pretix_cpu_ms", None),
                ("  ratio Kakawari / pretix", "<= 0.10", "vs_pretix_cpu_ms", lambda v: v <= 0.10),
            ],
        },
        {
            # beside the Node socket.io relay (bench/peers/socketio_relay.js), same clients
            "name": "live_room",
            "args": [
                "--clients",
                "200" if quick else "1000",
                "--seconds",
                "10" if quick else "30",
                "--peer",
            ],
            "rows": [
                ("live room clients joined", "1000", "joined", lambda v: v >= 1000),
                ("chat p99 ms at 10 msg/s", "< 200", "chat_p99_ms", lambda v: v < 200),
                ("  Node relay", "—", "node_chat_p99_ms", None),
                ("  ratio Kakawari / Node", "<= 1.5", "vs_node_chat_p99_ms", lambda v: v <= 1.5),
                ("chat deliveries/s (burst)", "—", "burst_deliveries_per_s", None),
                ("  Node relay", "—", "node_burst_deliveries_per_s", None),
                (
                    "  ratio Kakawari / Node",
                    ">= 1.0",
                    "vs_node_burst_deliveries_per_s",
                    lambda v: v >= 1.0,
                ),
                ("joins failed", "0", "join_failures", lambda v: v == 0),
                ("join p99 ms (joining within 10 s)", "< 1000", "join_p99_ms", lambda v: v < 1000),
                ("  Node relay", "—", "node_join_p99_ms", None),
                ("  ratio Kakawari / Node", "—", "vs_node_join_p99_ms", None),
            ],
        },
        {
            "name": "reports",
            "args": ["--database", "postgresql", "--participants", "500" if quick else "5000"],
            "rows": [
                ("slowest dashboard p95 ms", "< 300", "dashboard_p95_ms", lambda v: v < 300),
                ("slowest export p95 ms", "—", "export_p95_ms", None),
            ],
        },
    ]


def run(bench: dict, out: Path) -> tuple[dict | None, float]:
    script = ROOT / "bench" / f"{bench.get('script', bench['name'])}.py"
    started = time.perf_counter()
    print(f"\n=== {bench['name']}: {script.name} {' '.join(bench['args'])}", flush=True)
    done = subprocess.run(
        [sys.executable, str(script), *bench["args"], "--json", str(out)], cwd=ROOT, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not out.exists():
        print(f"=== {bench['name']} failed (exit {done.returncode})", flush=True)
        return None, seconds
    return json.loads(out.read_text()), seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small loads (a smoke run)")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args(argv)

    report = {"started_at": datetime.now(UTC).isoformat(), "quick": args.quick, "runs": {}}
    table = []
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-all-") as tmp:
        for bench in benches(args.quick):
            if args.only and bench["name"] not in args.only:
                continue
            figures, seconds = run(bench, Path(tmp) / f"{bench['name']}.json")
            report["runs"][bench["name"]] = {"figures": figures, "seconds": round(seconds)}
            for figure, target, key, test in bench["rows"]:
                value = None if figures is None else figures.get(key)
                if value is None:
                    verdict = "failed"
                elif test is None:
                    verdict = ""
                else:
                    verdict = "met" if test(value) else "NOT met"
                table.append((figure, target, "—" if value is None else value, verdict))

    print(f"\n{'figure':<40} {'target':>8} {'result':>10}  verdict")
    for figure, target, value, verdict in table:
        print(f"{figure:<40} {target:>8} {value!s:>10}  {verdict}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json"
    report["table"] = [
        dict(zip(("figure", "target", "result", "verdict"), r, strict=True)) for r in table
    ]
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nsaved {path.relative_to(ROOT)}")
    return 0 if all(v != "failed" for *_, v in table) else 1


if __name__ == "__main__":
    sys.exit(main())
