"""The socket tests' server, room and clients, for every module here (defined with the
protocol tests in test_socket.py)."""

from tests.live.test_socket import connect, live_url, room  # noqa: F401
