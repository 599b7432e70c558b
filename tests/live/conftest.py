"""The socket tests' server, room and clients, for every module here (defined with the
protocol tests in test_socket.py)."""

import pytest
from websocket import STATUS_NORMAL, WebSocket

from tests.live.test_socket import connect, live_url, room  # noqa: F401


@pytest.fixture(autouse=True, scope="session")
def _prompt_websocket_close():
    """websocket-client's close() waits up to 3 s for the server's close frame, which the
    client's own read loop has usually taken already: every socket a test opened cost its
    teardown the full 3 s (100 s of the live tests' 180). On 127.0.0.1 a close frame that
    comes at all comes within a fraction of a second."""
    original = WebSocket.close

    def close(self, status=STATUS_NORMAL, reason=b"", timeout=0.3):
        return original(self, status, reason, timeout)

    WebSocket.close = close
    yield
    WebSocket.close = original
