"""gunicorn settings for live servers in tests and benchmarks: a bounded number of requests
at once per worker, and a sign to the starter when each worker is ready to accept."""

import os
from pathlib import Path

# As many requests at once per worker as the app's database pool has connections (5 + 10
# overflow): the rest wait in the listen queue, instead of waiting for a pooled connection and
# failing after its 30 s timeout when the machine is slow (gevent's default is 1000).
worker_connections = 15


def post_worker_init(worker):
    ready = os.environ.get("KAKAWARI_READY_DIR")
    if ready:
        (Path(ready) / str(worker.pid)).touch()
