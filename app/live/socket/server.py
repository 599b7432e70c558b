"""The live room's Socket.IO server (the protocol: app/live/socket/__init__.py): attaching it
to the app, who may connect and act (the login or token a socket was opened with, the role it
was admitted with), the guard every event runs in, and the upkeep loop (presence heartbeat,
sockets of crashed processes or ended logins, coalesced broadcasts)."""

import logging
import os
import secrets
import socket as _socket
import threading
import time
from datetime import timedelta

import socketio
from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from app.accounts.loaders import ended, opened_with_stands
from app.accounts.models import User
from app.accounts.services import use_api_token
from app.core.errors import (
    AuthenticationRequired,
    Conflict,
    KakawariError,
    ValidationFailed,
)
from app.core.jsonbody import check_decoded
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.live import presence
from app.live import services as live
from app.live.delivery import SharedFrames, framed_websocket
from app.live.fanout import LiveRedisManager, disconnect_local
from app.live.socket.broadcast import NAMESPACE, Broadcasts, sessions_room, token_room
from app.live.socket.budgets import Budgets
from app.live.socket.handlers import Actor, RoomEvents
from app.live.socket.unit import UnitsOfWork

#: one socket message at most (chat is 1,000 characters; a poll ~1,300): larger ones close it
MAX_MESSAGE_BYTES = 64 * 1024
#: a socket's admission (its role in the room) is checked again after this many seconds
ADMIT_FOR = 30.0
TICK = 0.25

log = logging.getLogger(__name__)


class NotJoined(Conflict):
    code = "not_joined"
    message = _l("Join the room first.")


class SessionEnded(AuthenticationRequired):
    """The login or API token the socket was opened with has ended: the socket closes."""

    message = _l("You were logged out (or your password or token changed). Please log in again.")


class UnknownEvent(ValidationFailed):
    code = "unknown_event"
    message = _l("Unknown event.")


class ServerError(KakawariError):
    code = "server_error"
    status = 500


def choose_async_mode() -> str:
    """gevent when gunicorn's gevent worker has patched the standard library, else threads
    (Werkzeug's dev server, tests)."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


class LiveWSGIApp(socketio.WSGIApp):
    """Declines permessage-deflate: simple-websocket accepts it whenever a client offers it
    (browsers always do) and would then compress every broadcast once per recipient (measured
    with 300 clients: half as much CPU again per delivery, and half as much memory again).
    Without the offer the handshake answers uncompressed."""

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return super().__call__(environ, start_response)


class LiveSocket(RoomEvents, Broadcasts, Budgets, UnitsOfWork):
    """One Socket.IO server per app: authentication and the event guard here, the handlers in
    handlers.py, sending in broadcast.py, the rate limits in budgets.py, one unit of work per
    event in unit.py."""

    def __init__(self, app: Flask):
        self.app = app
        redis_url = app.config.get("REDIS_URL")
        self.channel = app.config.get("LIVE_CHANNEL", "kakawari-live")
        self.heartbeat_every = float(app.config.get("LIVE_HEARTBEAT_SECONDS", 30))
        # intervals of a socket nobody vouched for in three heartbeats end at its last_seen
        self.stale_after = timedelta(seconds=3 * self.heartbeat_every)
        #: shares broadcasts with the other processes (None: this process is alone)
        self.fanout = LiveRedisManager(redis_url, self.channel) if redis_url else None
        manager = self.fanout or SharedFrames()
        manager.room_sent = self.room_sent  # joiners' room views are read again (broadcast.py)
        self.sio = socketio.Server(
            async_mode=choose_async_mode(),
            client_manager=manager,
            cors_allowed_origins=self._same_origin,
            http_compression=False,  # long-polling answers: same reason as LiveWSGIApp
            max_http_buffer_size=MAX_MESSAGE_BYTES,
            async_handlers=False,  # one socket's events run in order (join before chat)
            # a busy room (a burst to a thousand sockets) may hold pings up for a while: drop a
            # socket after 25 + 60 s of silence, not 25 + 20 (so a vanished client's interval
            # may run up to 85 s past its last sign of life)
            ping_timeout=60,
            logger=False,
            engineio_logger=False,
        )
        # a broadcast's websocket frame is built once for all its recipients (delivery.py)
        eio = self.sio.eio
        eio._async = {**eio._async, "websocket": framed_websocket(eio._async["websocket"])}
        self._init_budgets(app.config, redis_url)
        self._init_broadcasts()
        self._init_units()
        self._boot = secrets.token_hex(4)
        #: sockets of this process in a room: sid -> (session id, user id)
        self.joined: dict[str, tuple[int, int]] = {}
        #: sockets of this process that have been in a room (only they can rejoin one)
        self.been_in: set[str] = set()
        self._upkeep_lock = threading.Lock()
        self._upkeep_started = False
        self._stopped = False
        self._register()

    @property
    def process(self) -> str:
        """host:pid:boot of this process, written on its presence rows. A restarted process has
        a new name, so nothing of a previous life is its to close: close_stale ends those."""
        return f"{_socket.gethostname()[:60]}:{os.getpid()}:{self._boot}"

    # --- wiring --------------------------------------------------------------------------------

    def _register(self) -> None:
        on = self.sio.on
        on("connect", self.connect, namespace=NAMESPACE)
        on("disconnect", self.disconnect, namespace=NAMESPACE)
        on("*", self.unknown, namespace=NAMESPACE)
        for name, (handler, in_room) in self.events().items():
            on(name, self._guarded(name, handler, in_room), namespace=NAMESPACE)

    def _same_origin(self, origin, environ) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        allowed = {self.app.config["BASE_URL"], own}
        if self.app.config.get("PROXY_FIX") and "HTTP_X_FORWARDED_HOST" in environ:
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "https").split(",")[0].strip()
            allowed.add(f"{scheme}://{environ['HTTP_X_FORWARDED_HOST'].split(',')[0].strip()}")
        return origin in allowed

    def _guarded(self, name: str, handler, in_room: bool):
        """Run a handler in an app context and one unit of work (unit.py: it commits once, then
        sends); every failure rolls it back and becomes an error ack and event."""

        def run(sid, *args):
            data = args[0] if len(args) == 1 else None
            try:
                with self.app.app_context():
                    state = self.sio.get_session(sid, namespace=NAMESPACE)
                    with force_locale(state.get("locale") or "ja"):
                        try:
                            with self.unit_of_work() as work:
                                check_decoded(data)  # too deep, control characters, surrogates
                                actor = self._actor(sid, state, in_room)
                                self.spend(name, actor.user.id)
                                ack = handler(actor, data) or {}
                            return {"ok": True, **ack, **work.warning}
                        except KakawariError as exc:
                            return self._refuse(sid, name, exc)
                        except Exception:
                            log.exception("live event %s failed", name)
                            return self._refuse(sid, name, ServerError())
            except Exception:  # the socket is gone, or the database is
                log.exception("live event %s failed outside the handler", name)
                return {"error": {"code": "server_error", "message": "server error"}}

        return run

    def _refuse(self, sid: str, name: str, exc: KakawariError) -> dict:
        error = exc.to_dict()
        self.sio.emit("error", {"event": name, **error}, to=sid, namespace=NAMESPACE)
        if isinstance(exc, SessionEnded):
            self.sio.disconnect(sid, namespace=NAMESPACE)
        return {"error": error}

    # --- who acts ------------------------------------------------------------------------------

    def _actor(self, sid: str, state: dict, in_room: bool) -> Actor:
        user = db.session.get(User, state.get("user_id") or 0)
        # checked on every event: a socket whose login or token ended (in any process, and
        # whether or not the close reached it) acts no more
        if user is None or not user.is_active or not opened_with_stands(user, state.get("auth")):
            raise SessionEnded()
        actor = Actor(sid, user)
        if not in_room:
            return actor
        if state.get("session_id") is None:
            raise NotJoined()
        role, until = state.get("admitted") or (None, 0.0)
        actor.session = db.session.get(Session, state["session_id"])
        if role is not None and time.monotonic() < until and actor.session is not None:
            actor.viewer = live.Viewer(user, live.RoomRole(role))
        else:  # roles, registrations and the room's hours change: admit again now and then
            actor.session = live.get_room_session(state["session_id"])
            actor.viewer = live.admit(actor.session, actor.user)
            self.remember_admission(state, actor.viewer)
            self.sio.save_session(actor.sid, state, namespace=NAMESPACE)
        return actor

    @staticmethod
    def remember_admission(state: dict, viewer: live.Viewer) -> None:
        """The role a socket was admitted with, trusted for ADMIT_FOR seconds."""
        state["admitted"] = (viewer.role.value, time.monotonic() + ADMIT_FOR)

    # --- connecting ----------------------------------------------------------------------------

    def connect(self, sid, environ, auth=None):
        self._start_upkeep()
        with self.app.request_context(environ):
            try:
                with self.unit_of_work():  # the token's use is noted
                    found = self._authenticate(auth)
                    if found is not None:
                        user, (kind, value) = found
                        state = {
                            "user_id": user.id,
                            "locale": user.locale,
                            "session_id": None,
                            "auth": (kind, value),
                        }
            except Exception:
                log.exception("authenticating a live socket failed")
                found, error = None, ServerError().to_dict()
            else:
                error = AuthenticationRequired().to_dict()
            if found is None:
                raise SocketRefused(error["code"], error)
            self.sio.save_session(sid, state, namespace=NAMESPACE)
            room = token_room(value) if kind == "token" else sessions_room(state["user_id"])
            self.sio.enter_room(sid, room, namespace=NAMESPACE)

    @staticmethod
    def _authenticate(auth) -> tuple[User, tuple[str, int]] | None:
        """An API token when one is sent (it must be valid), else the session cookie; with what
        the socket was opened: ("token", its id) or ("session", the session version)."""
        if isinstance(auth, dict) and "token" in auth:
            secret = auth["token"]
            token = use_api_token(secret) if isinstance(secret, str) else None
            return (token.user, ("token", token.id)) if token else None
        user = current_user._get_current_object()
        if not user.is_authenticated:
            return None
        return user, ("session", user.session_version)

    def close_sockets(self, rooms) -> None:
        """Disconnect the sockets in these rooms, in every process (through Redis when set)."""
        for room in rooms:
            if self.fanout:
                self.fanout.disconnect_room(room, NAMESPACE)
            else:
                disconnect_local(self.sio, NAMESPACE, room)

    def disconnect(self, sid, reason=None):
        try:
            with self.app.app_context(), self.unit_of_work():
                joined = self.joined.pop(sid, None)
                self.been_in.discard(sid)
                if joined is not None:
                    presence.disconnect(sid, self.process)
                    self.presence_changed(joined[0])
        except Exception:
            log.exception("closing the presence of %s failed", sid)

    def unknown(self, event, sid, *args):
        try:
            with self.app.app_context():
                state = self.sio.get_session(sid, namespace=NAMESPACE)
                with force_locale(state.get("locale") or "ja"):
                    return self._refuse(sid, str(event)[:100], UnknownEvent())
        except Exception:  # the socket is gone
            log.exception("answering unknown event %r failed", event)
            return None

    # --- upkeep: heartbeat, stale sockets, coalesced broadcasts --------------------------------

    def _start_upkeep(self) -> None:
        with self._upkeep_lock:
            if self._upkeep_started:
                return
            self._upkeep_started = True
        self.sio.start_background_task(self._upkeep)

    def stop(self) -> None:
        self._stopped = True

    def _upkeep(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_every
        while not self._stopped:
            self.sio.sleep(TICK)
            try:
                with self.app.app_context():
                    if time.monotonic() >= next_beat:
                        next_beat = time.monotonic() + self.heartbeat_every
                        self.beat()
                    self.flush()
            except Exception:
                log.exception("live room upkeep failed")

    def beat(self) -> None:
        """Vouch for this process's sockets, and end the intervals of sockets nobody vouched
        for lately (a crashed or killed process) at their last sign of life. One unit of work,
        committed once."""
        with self.unit_of_work():
            self._close_ended(list(self.joined))
            joined = dict(self.joined)
            if presence.heartbeat(list(joined), self.process) < len(joined):
                # another process took a slow one of ours for dead: open its interval again
                open_sids = presence.open_sids(self.process)
                for sid, (session_id, user_id) in joined.items():
                    if sid not in open_sids and sid in self.joined:
                        presence.connect(session_id, user_id, sid, self.process)
            now = utcnow()
            rooms = presence.silent_rooms(since=now - self.stale_after)
            if rooms:
                presence.close_stale(now=now, stale_after=self.stale_after)
                for session_id in rooms:
                    self.presence_changed(session_id)

    def _close_ended(self, sids) -> None:
        """Close sockets in a room whose login or token ended, should the message to close them
        not have reached this process (Redis away): one that only listens goes within a beat."""
        opened = {}
        for sid in sids:
            try:
                state = self.sio.get_session(sid, namespace=NAMESPACE)
            except KeyError:  # gone meanwhile
                continue
            opened[sid] = (state.get("user_id"), state.get("auth") or (None, None))
        for sid in ended(opened):
            self.sio.disconnect(sid, namespace=NAMESPACE)


def attach_socket_server(app: Flask) -> LiveSocket:
    """Serve Socket.IO under /socket.io/ in front of the Flask app."""
    from app.live import receivers  # noqa: F401 -- closes sockets whose session or token ended

    live_socket = LiveSocket(app)
    app.extensions["live_socket"] = live_socket
    app.wsgi_app = LiveWSGIApp(live_socket.sio, app.wsgi_app)
    log.info(
        "live rooms: async_mode=%s, %s",
        live_socket.sio.async_mode,
        f"Redis channel {live_socket.channel}" if app.config.get("REDIS_URL") else "one process",
    )
    return live_socket
