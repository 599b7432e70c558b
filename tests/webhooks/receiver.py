"""A real webhook receiver for tests: http.server on 127.0.0.1 in a thread. It records each
request (headers and raw body), can answer an error, and can be stopped and started again on
the same port (a system that is down for a while)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, port: int = 0):
        self.received: list[dict] = []
        self.status = 204
        #: seconds each answer takes (so that two senders overlap)
        self.delay = 0.0
        self._cond = threading.Condition()
        self._server = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)  # a slow system, not a wait for an event
                with receiver._cond:
                    status = receiver.status
                    if 200 <= status < 300:
                        receiver.received.append(
                            {"headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": body, "json": json.loads(body)}
                        )  # fmt: skip
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: the port refuses connections."""
        self._server.shutdown()
        self._server.server_close()

    def types(self) -> list[str]:
        return [r["json"]["type"] for r in self.received]

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
        return self.received
