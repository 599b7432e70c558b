"""One POST to an endpoint, connecting to the address that was checked (app.webhooks.addresses)
rather than resolving the name again; TLS still verifies the certificate for the host name.
Redirects are not followed (a 3xx is a failed attempt)."""

import http.client
import socket
import ssl

from app.webhooks.addresses import Target

#: the most of an answer read (and thrown away)
MAX_ANSWER = 64 * 1024


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """The endpoint's status code; raises OSError (or http.client's errors) when unreachable."""
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = cls(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(MAX_ANSWER)
        return response.status
    finally:
        conn.close()
