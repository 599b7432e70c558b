"""gunicorn settings for live servers in tests and benchmarks: a bounded number of requests
at once per worker, a sign to the starter when each worker is ready to accept, and the control
experiment's switch.

The control experiment (the race the capacity lock prevents, shown by test_race_control and
the benchmark's --unlocked run): REGISTRATION_LOCKING=0 in this server's environment switches
the lock off, and REGISTRATION_RACE_WINDOW (seconds) pauses before counting. Only this file
reads them; the app's own configuration has no such setting (tests/registration/
test_capacity_lock.py)."""

import gc
import os
from pathlib import Path

# As many requests at once per worker as the app's database pool has connections (15, no
# overflow: LiveServer sets it, as production does): the rest wait in the listen queue,
# instead of waiting for a pooled connection and failing after its 30 s timeout when the
# machine is slow (gevent's default is 1000).
worker_connections = 15
GC_THRESHOLDS = (50_000, 50, 100)


def post_worker_init(worker):
    # as in production (app/ops/gunicorn_conf.py): fewer, cheaper garbage collections
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    if os.environ.get("REGISTRATION_LOCKING") == "0":
        from app.registration.capacity import unlock_for_control_experiment

        window = float(os.environ.get("REGISTRATION_RACE_WINDOW") or 0)
        unlock_for_control_experiment(worker.wsgi, window)
        worker.log.info("control experiment: no capacity lock, %s s race window", window)
    ready = os.environ.get("KAKAWARI_READY_DIR")
    if ready:
        (Path(ready) / str(worker.pid)).touch()
