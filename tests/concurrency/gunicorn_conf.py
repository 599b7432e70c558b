"""gunicorn settings for live servers in tests and benchmarks: a bounded number of requests
at once per worker, and a sign to the starter when each worker is ready to accept."""

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
    ready = os.environ.get("KAKAWARI_READY_DIR")
    if ready:
        (Path(ready) / str(worker.pid)).touch()
