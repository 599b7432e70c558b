"""Delivering a broadcast to a room's sockets in this process: encoded once, sent as is.

python-socketio encodes a room broadcast's Socket.IO packet once, but every recipient's
Engine.IO writer then encodes the packet again and simple-websocket (wsproto) builds the
websocket frame again: per recipient, the same text is copied, UTF-8 encoded and framed (a
thousand times for a full room, most of the server's time in a burst). Here the frame is built
once per broadcast and every recipient's writer sends those bytes. The frames are plain
unfragmented, uncompressed text frames (the server declines permessage-deflate: server.py), as
wsproto would build them; everything else (acks, pings, one socket's events) goes through
wsproto as before.

Every emit to a room also tells the live socket (`room_sent`), whichever process it came from
(RedisManager hands the other processes' broadcasts to Manager.emit too): a room view kept
for joiners is read again after the room changed (broadcast.py).
"""

import struct

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

_TEXT_FIN = 0x81  # FIN + opcode 1 (text); servers do not mask


def text_frame(text: str) -> bytes:
    """The websocket frame of one complete text message (RFC 6455 §5.2), unmasked."""
    data = text.encode("utf-8")
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", _TEXT_FIN, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", _TEXT_FIN, 126, n)
    else:
        head = struct.pack("!BBQ", _TEXT_FIN, 127, n)
    return head + data


class FramedText(str):
    """An encoded Engine.IO packet that carries its websocket frame, built once."""

    __slots__ = ("frame",)


class SharedMessage(eio_packet.Packet):
    """An Engine.IO message sent to many sockets: encoded (and framed) once, not per socket."""

    def __init__(self, encoded_socketio: str):
        super().__init__(eio_packet.MESSAGE, encoded_socketio)
        text = FramedText(super().encode())
        text.frame = text_frame(text)
        self._encoded = text

    def encode(self, b64=False):
        return self._encoded if not b64 else super().encode(b64)


class SharedFrames(socketio.Manager):
    """Manager.emit for a room without callbacks: one frame for every recipient. Set
    `room_sent(room, event)` to hear of every emit to a room."""

    room_sent = None

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kw):
        room = to or room
        if room is not None and self.room_sent is not None:
            self.room_sent(room, event)
        if callback or namespace not in self.rooms:
            return super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kw
            )
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if isinstance(encoded, list):  # binary attachments: as the library does it
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kw)
        message = SharedMessage(encoded)
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid not in skip:
                self.server._send_eio_packet(eio_sid, message)
        return None


def framed_websocket(base):
    """The async mode's websocket class, sending a FramedText's frame as it is."""

    class FramedWebSocket(base):
        def send(self, message):
            frame = getattr(message, "frame", None)
            if frame is None:
                return super().send(message)
            if not self.ws.connected:
                raise OSError("websocket closed")
            self.ws.sock.sendall(frame)
            return None

    return FramedWebSocket
