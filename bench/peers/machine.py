"""What the comparisons with the peers read off the machine, from /proc: the CPU model, the CPU
time of a server's process tree, and the CPU time of one database's PostgreSQL backends."""

import os
import threading
import time
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def pid_cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def tree_pids(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


class CpuMeter:
    """CPU seconds used by a server's process tree and by the PostgreSQL backends connected to
    its database, between start() and stop(). A sampler thread reads every process every
    `every` seconds and keeps the last reading of each, so a backend that exits in between
    loses at most that much of its share (both servers keep their connections open)."""

    def __init__(self, root_pid: int, pg_url: str, database: str, every: float = 0.25):
        self.root_pid, self.pg_url, self.database, self.every = root_pid, pg_url, database, every
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pids(self, conn) -> list[tuple[str, int]]:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.database,),
        ).fetchall()
        return [("app", p) for p in tree_pids(self.root_pid)] + [("pg", r[0]) for r in rows]

    def _sample(self, conn, initial: bool = False) -> None:
        for key in self._pids(conn):
            seconds = pid_cpu_seconds(key[1])
            if seconds == 0.0 and key in self.last:
                continue  # gone: keep its last reading
            if key not in self.first:
                # a process that appears during the run started from zero
                self.first[key] = seconds if initial else 0.0
            self.last[key] = seconds

    def _run(self) -> None:
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            self._sample(conn, initial=True)
            self._ready.set()
            while not self._stop.wait(self.every):
                self._sample(conn)
            self._sample(conn)

    def __enter__(self) -> "CpuMeter":
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def seconds(self, kind: str) -> float:
        return sum(v - self.first[k] for k, v in self.last.items() if k[0] == kind)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def wait_quiet(seconds: float = 1.0) -> None:
    time.sleep(seconds)
