"""The portal's search at size: p50/p95 of /series (and, for information, its feeds) with 500
published series from 50 organisations (plus drafts and finished ones), 4 sessions each.

    .venv/bin/python bench/portal.py --database sqlite
    .venv/bin/python bench/portal.py --database postgresql --repeat 50

The data is inserted in bulk into a throwaway database (an SQLite file in a temporary folder
or a new PostgreSQL database, migrated with Alembic and dropped at the end); the pages are
requested through the Flask test client, anonymously, so the figures are the server's time.
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.concurrency.live import Database, cpu_check, percentile, setup_app  # noqa: E402

TARGET_P95_MS = 100
WORDS = ("古民家", "農業", "移住", "食", "観光", "まちづくり", "漁業", "祭り", "森林", "空き家")


def build(app, orgs: int, series_count: int, seed: int = 7) -> None:
    from sqlalchemy import insert

    from app.core.types import utcnow
    from app.events.models import Series, Session
    from app.extensions import db
    from app.orgs.models import Organization

    rng = random.Random(seed)
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(Organization), [{"name": f"関係人口ラボ{i:02d}"} for i in range(orgs)]
        )
        org_ids = db.session.scalars(db.select(Organization.id)).all()
        rows = []
        for i in range(series_count + series_count // 5):
            word = rng.choice(WORDS)
            status = "draft" if i >= series_count else "published"
            rows.append(
                {
                    "org_id": org_ids[i % len(org_ids)],
                    "title": f"{word}で関わる連続講座 {i}",
                    "description": f"{word}を通して地域とかかわる。" * 5,
                    "prefecture": f"{rng.randint(1, 47):02d}",
                    "municipality": "",
                    "status": status,
                    "registration_opens_at": now - timedelta(days=10),
                    "registration_closes_at": now + timedelta(days=rng.randint(-5, 60)),
                    "privacy_notice": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Series), rows)
        sessions = []
        for series_id in db.session.scalars(db.select(Series.id)).all():
            offset = rng.randint(-120, 90)  # about a third are finished
            for k in range(4):
                start = now + timedelta(days=offset + 7 * k)
                sessions.append(
                    {
                        "series_id": series_id,
                        "title": f"第{k + 1}回",
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=2),
                        "format": rng.choice(("venue", "online", "hybrid")),
                        "status": "scheduled",
                        "ical_uid": f"{uuid.uuid4()}@bench",
                    }
                )
        db.session.execute(insert(Session), sessions)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk insert
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")


def time_page(client, url: str, repeat: int) -> dict:
    client.get(url)  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-") as tmp:
        workdir = Path(tmp)
        database = Database.throwaway(args.database, workdir, "bench_portal")
        app = None
        try:
            database.migrate()
            app = setup_app(database.url, workdir / "instance")
            build(app, args.orgs, args.series)
            print(
                f"{args.series} published series from {args.orgs} organisations, "
                f"{args.database}; CPU check {cpu_check():.2f} s; "
                f"nproc {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f}"
            )
            pages = [
                ("search (all)", "/series"),
                ("keyword", "/series?q=古民家"),
                ("prefecture + online", "/series?prefecture=32&online=y"),
                ("open, dates", "/series?open=y&date_from=2026-01-01&date_to=2027-12-31"),
                ("finished, page 3", "/series?tab=finished&page=3"),
                ("Atom feed", "/series/feed.atom?q=移住"),
                ("iCalendar feed", "/series/feed.ics?online=y"),
            ]
            client = app.test_client()
            print(f"{'search':<22} {'p50 ms':>8} {'p95 ms':>8}")
            over = []
            for name, url in pages:
                found = time_page(client, url, args.repeat)
                searching = "feed" not in name  # the target is the search's; feeds are shown
                flag = "" if found["p95"] < TARGET_P95_MS or not searching else "  over target"
                if flag:
                    over.append(name)
                print(f"{name:<22} {found['p50']:>8.1f} {found['p95']:>8.1f}{flag}")
            verdict = "met" if not over else "NOT met: " + ", ".join(over)
            print(f"target p95 < {TARGET_P95_MS} ms (search): {verdict}")
            return 0 if not over else 1
        finally:
            database.drop(app)


if __name__ == "__main__":
    sys.exit(main())
