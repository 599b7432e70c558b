"""Broadcasts between server processes through Redis, and what happens when Redis is away.

python-socketio's RedisManager already delivers every emit to this process's own sockets
before publishing it for the others, and gives up publishing (with a log line) when Redis does
not answer. This subclass adds what the room needs to degrade and recover plainly:
the handler learns whether the other processes were reached (so the sender can be told), a
Redis that does not answer costs a handler 2 s instead of blocking it, and the listener tries
again every few seconds (the library's pause grows to a minute, which would keep the
processes deaf to each other for up to a minute after Redis is back).
"""

import threading
import time

import socketio

from app.live.delivery import SharedFrames

#: longest pause between two tries of the listener to subscribe again
LISTEN_RETRY_MAX = 5.0


class LiveRedisManager(socketio.RedisManager, SharedFrames):
    """(SharedFrames comes after the library's PubSubManager: the broadcasts of every process
    reach this process's sockets through it.)"""

    def __init__(self, url: str, channel: str):
        super().__init__(url, channel=channel, redis_options={"socket_connect_timeout": 2})
        self._attempt = threading.local()  # per thread, per greenlet under gevent

    def watch(self) -> None:
        """Start counting failed publishes of the current handler."""
        self._attempt.failed = 0

    def reached_others(self) -> bool:
        """Whether every publish since watch() reached Redis (and so the other processes)."""
        return not getattr(self._attempt, "failed", 0)

    def _publish(self, data):
        result = super()._publish(data)
        if result is None:  # the library logged it and gave up
            self._attempt.failed = getattr(self._attempt, "failed", 0) + 1
        return result

    def disconnect_room(self, room: str, namespace: str) -> None:
        """Disconnect every socket in `room`, in every process: a close_room message that
        also disconnects (a process of an older release only empties the room)."""
        message = {
            "method": "close_room",
            "room": room,
            "namespace": namespace,
            "host_id": self.host_id,
            "disconnect": True,
        }
        self._handle_close_room(message)  # this process's sockets
        self._publish(message)  # the other processes'

    def _handle_close_room(self, message):
        if message.get("disconnect"):
            disconnect_local(self.server, message.get("namespace"), message.get("room"))
        else:
            super()._handle_close_room(message)

    def _redis_listen_with_retries(self):
        """The library's listening loop, with the pause between tries capped."""
        pause = 1.0
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                pause = 1.0
                yield from self.pubsub.listen()
            except Exception as exc:  # any failure: connect and subscribe again
                self._get_logger().error(
                    f"Cannot receive from redis... retrying in {pause:g} secs",
                    extra={"redis_exception": str(exc)},
                )
                time.sleep(pause)
                pause = min(pause * 2, LISTEN_RETRY_MAX)


def disconnect_local(server: socketio.Server, namespace: str, room: str) -> None:
    """Disconnect this process's sockets in `room` (each closes its presence as usual)."""
    for sid, _eio_sid in list(server.manager.get_participants(namespace, room)):
        server.disconnect(sid, namespace=namespace, ignore_queue=True)
