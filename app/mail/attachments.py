"""Attachments as the queue stores them. Small files are stored as they are; expensive ones
(a calendar file, a ticket's QR code) are stored as a `Deferred` naming a builder and its
parameters, and built by the drainer when the mail is sent, not in the request that queued it.
"""

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: (filename, bytes, "maintype/subtype"), as `build_message()` takes them
Attachment = tuple[str, bytes, str]

_builders: dict[str, Callable[..., list[Attachment]]] = {}


@dataclass(frozen=True)
class Deferred:
    """Attachments made at send time by the builder registered for `kind`, called with
    `params` (JSON: ids and flags, never objects)."""

    kind: str
    params: dict = field(default_factory=dict)


def deferred_builder(kind: str):
    """Register the function that turns a Deferred of this kind into attachments. It runs in
    the drainer's app context and returns a list of Attachment (empty: nothing to attach)."""

    def register(func):
        _builders[kind] = func
        return func

    return register


def to_stored(attachments: Iterable) -> list[dict]:
    stored = []
    for item in attachments:
        if isinstance(item, Deferred):
            stored.append({"deferred": item.kind, "params": item.params})
        else:
            filename, data, mimetype = item
            data = base64.b64encode(data).decode("ascii")
            stored.append({"filename": filename, "mimetype": mimetype, "data": data})
    return stored


def from_stored(stored: Iterable[dict]) -> list[Attachment]:
    """The attachments to send; raises when a builder fails (the send is retried)."""
    built = []
    for item in stored:
        if "deferred" in item:
            builder = _builders.get(item["deferred"])
            if builder is None:
                raise LookupError(f"no builder for deferred attachment {item['deferred']!r}")
            built += builder(**item["params"])
        else:
            data = base64.b64decode(item["data"])
            built.append((item["filename"], data, item["mimetype"]))
    return built
