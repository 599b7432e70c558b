"""Where an endpoint may point (server-side request forgery): https to a host whose every
address is public; http only to the hosts WEBHOOKS_HTTP_HOSTS names (local testing). Private,
loopback, link-local, shared and reserved addresses are refused unless WEBHOOKS_ALLOW_PRIVATE.
The sender checks again before each attempt and connects to the address it checked, so a name
that resolves elsewhere later (DNS rebinding) reaches nothing private."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.errors import ValidationFailed

MAX_URL = 2000


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  #: path and query, as sent in the request line
    address: str  #: the checked address to connect to


class Refused(ValidationFailed):
    code = "webhook_url_refused"


def _refuse(message) -> Refused:
    return Refused(message, fields={"url": [message]})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse(url) -> tuple[str, str, int, str]:
    """scheme, host, port and path of an acceptable URL, or Refused (nothing resolved)."""
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url:
        raise _refuse(_l("Enter the address (URL) that should receive the events."))
    if len(url) > MAX_URL:
        raise _refuse(_l("The address is too long (at most 2000 characters)."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(_l("This is not a valid address (URL).")) from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise _refuse(_l("Enter an address beginning with https://."))
    if parts.username or parts.password:
        raise _refuse(_l("The address may not contain a user name or password."))
    if parts.scheme == "http" and host not in current_app.config["WEBHOOKS_HTTP_HOSTS"]:
        raise _refuse(_l("Enter an address beginning with https:// (http is not encrypted)."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def check(url) -> Target:
    """Resolve the URL's host and check every address it has; the Target to connect to, or
    Refused with a message for the owner."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refuse(_l("The host name of this address could not be found.")) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise _refuse(_l("The host name of this address could not be found."))
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE"] and not all(map(_public, addresses)):
        raise _refuse(
            _l(
                "This address points into a private or local network (e.g. 127.0.0.1, 10.x.x.x, "
                "169.254.x.x, ::1). Webhooks go only to addresses on the public internet."
            )
        )
    return Target(scheme, host, port, path, addresses[0])
