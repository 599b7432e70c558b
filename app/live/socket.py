"""The live room's Socket.IO server: namespace `/live`, attached to the Flask app.

Connecting
    `io("/live")` from the same origin carries the Flask-Login session cookie; other clients
    pass `auth={"token": "<API token>"}` (a token, when sent, must be valid). Refused
    connections get `connect_error` with `message` "authentication_required" and
    `data` {code, message}. Only the app's own origin (and BASE_URL) may connect. There is no
    connection-state recovery: after every reconnect the client emits `join` again and
    replaces its state with the snapshot.

Acknowledgements and errors
    Every event below is acknowledged with `{"ok": true, ...}` or
    `{"error": {"code", "message", "fields"?}}`; a refused event also sends an `error` event
    `{"event", "code", "message", "fields"?}` to that socket (show the person one of the two,
    not both), and changes nothing. Unknown events, payloads that are not an object, wrong
    types, oversized text, control characters and lone surrogates are refused this way (codes:
    validation_error, invalid_json, unknown_event, not_joined, not_found, forbidden,
    not_registered_online, room_closed, muted, conflict, rate_limited, server_error). A message
    over 64 KB closes the socket.
    A socket acts only on the room it joined, with the role it was admitted with (checked
    again every 30 s: a cancelled registration or a closed room ends it). Every event spends
    from a budget per person (all tabs and processes together): `chat` and `ask` together about
    5 per 10 s, `join`, `leave` and `heartbeat` 20 a minute, the others 30 per 10 s; beyond it
    they are refused with rate_limited.
    A socket lives as long as what it was opened with: logging out or a new password (for a
    session cookie) and revoking the token (for a token) close it, in every process; each event
    checks it again, and a socket found ended gets authentication_required and is closed.

Client -> server (payload -> extra ack fields)
    join {session_id}               -> state: the snapshot (session, me, stream, chat[],
                                       questions[], polls[], announcement, presence).
                                       Joining another room leaves the previous one.
    leave {}                        -> -
    heartbeat {}                    -> -        (optional; the server refreshes every 30 s)
    chat {text}                     -> message: the message as its author sees it
    chat_delete {id}                -> -        organisers only
    mute {user_id, muted}           -> user_id, muted   organisers only
    hide_name {hide}                -> hide_name
    ask {text, anonymous?}          -> question: as its author sees it
    upvote {question_id}            -> id, votes (once per person: conflict after that)
    question_answered {id, answered?=true} -> -   organisers only
    question_hide {id}              -> -        organisers only
    poll_create {question, options[], multiple?} -> poll    organisers only (a draft)
    poll_open {id} / poll_close {id} -> poll    organisers only; one poll is open at a time
    poll_vote {id, choices[]}       -> poll: with my_choices (voting again replaces)
    announce {text}                 -> announcement: text, or null ("" clears the banner)

Server -> client
    chat {id, user, text, at}       user = {id, name, hidden?}; {id: null, name: 参加者} when
                                    the author hides their name from participants
    chat_deleted {id}
    muted {user_id, muted}          to organisers and to the muted person's sockets
    question {id, user, text, votes, answered, anonymous, voted: false, at}
    question_votes {id, votes}
    question_answered {id, answered}
    question_hidden {id}
    poll {id, question, options, multiple, status, results}  drafts go to organisers only
    poll_results {id, results: {voters, counts[]}}  coalesced: at most ~2 per second
    announcement {text}             null when cleared
    presence {count, people: [user]}  coalesced: at most one every 2 s per room
    error {event, code, message, fields?}

Names are built per audience: organisers receive every name; everyone else receives what a
participant may see. A person's own hidden chat message or anonymous question therefore
arrives in the broadcast as 参加者/匿名, and the acknowledgement carries the same item with
their name: clients upsert items by `id` (a broadcast may arrive before or after the ack of
the same item, and items of the join snapshot may repeat in broadcasts).

Time in the room: `join` opens a presence interval for the socket, `leave` and disconnecting
close it. Every process vouches for its sockets every LIVE_HEARTBEAT_SECONDS (30) and ends
intervals silent for three beats at their last sign of life (a crashed or killed process).
With REDIS_URL set, broadcasts and the rate limit go through Redis (channel LIVE_CHANNEL), and
presence is read from the database, so every process counts everyone.
When Redis does not answer, the room degrades instead of failing: messages are still stored and
reach the sockets of the sender's own process, the `chat` and `ask` acks then carry
`warning: {code: "live_degraded", message}` (the others see the item when they join again), and
the rate limit counts per process; once Redis is back the processes hear each other again
within a few seconds (app/live/fanout.py).

Text is stored and sent exactly as typed (trimmed). The page must insert every text and name
with `textContent` (never innerHTML): the server does not HTML-escape.
"""

import logging
import os
import secrets
import socket as _socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import socketio
from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from limits import parse, storage, strategies
from limits.errors import StorageError
from socketio.exceptions import ConnectionRefusedError as SocketRefused
from sqlalchemy import exists, select

from app.accounts.models import ApiToken, User
from app.accounts.services import use_api_token
from app.core.errors import (
    AuthenticationRequired,
    Conflict,
    KakawariError,
    RateLimited,
    ValidationFailed,
)
from app.core.jsonbody import check_decoded
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.live import presence
from app.live import services as live
from app.live.fanout import LiveRedisManager, disconnect_local
from app.live.models import Connection, Poll, RoomMember

NAMESPACE = "/live"
#: one socket message at most (chat is 1,000 characters; a poll ~1,300): larger ones close it
MAX_MESSAGE_BYTES = 64 * 1024
#: presence lists grow with the room: send them at most this often per room, and less often
#: in big rooms (every 10 s with 1,000 people), where joins reuse the last list
PRESENCE_EVERY = 2.0
BIG_ROOM = 200
PRESENCE_REUSE_FOR = 15.0
POLL_RESULTS_EVERY = 0.5
#: a socket's admission (its role in the room) is checked again after this many seconds
ADMIT_FOR = 30.0
TICK = 0.25
#: every event that writes spends from a budget per person (all tabs and processes together):
#: name -> (config key, default)
BUDGETS = {
    "messages": ("LIVE_MESSAGES_PER_PERSON", "5 per 10 seconds"),
    # each join writes a presence row
    "presence": ("LIVE_JOINS_PER_PERSON", "20 per minute"),
    "actions": ("LIVE_ACTIONS_PER_PERSON", "30 per 10 seconds"),
}
#: the budget an event spends from: "actions" unless named here
BUDGET_OF = {
    "chat": "messages",
    "ask": "messages",
    "join": "presence",
    "leave": "presence",
    "heartbeat": "presence",
}
MESSAGES_TOO_FAST = _l("You are sending messages too fast. Please wait a few seconds.")
ACTIONS_TOO_FAST = _l("Too many actions in a short time. Please wait a few seconds.")

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


#: in a chat or ask ack when Redis did not take the broadcast to the other server processes
LIVE_DEGRADED = _l(
    "Sent, but the live connection is disrupted: some people will see it only after "
    "reloading the page."
)


class ServerError(KakawariError):
    code = "server_error"
    status = 500


# Broadcasts are built once per audience, for a viewer who is nobody in particular.
_NOBODY = SimpleNamespace(id=None)
AUDIENCES = {
    "mods": live.Viewer(_NOBODY, live.RoomRole.organizer),
    "people": live.Viewer(_NOBODY, live.RoomRole.participant),
}


def room_name(session_id: int, part: str | None = None) -> str:
    return f"live:{session_id}" + (f":{part}" if part else "")


def sessions_room(user_id: int) -> str:
    """The sockets a person opened with a session cookie: logging out closes them."""
    return f"user:{user_id}:sessions"


def token_room(token_id: int) -> str:
    """The sockets opened with one API token: revoking it closes them."""
    return f"token:{token_id}"


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


# --- payload checks ----------------------------------------------------------------------------


def _fields(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed(_l("Send an object with the event's fields."))
    return data


def _id(data, key: str) -> int:
    value = _fields(data).get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ValidationFailed(fields={key: [_l("Must be a number.")]})
    return value


def _flag(data, key: str, default: bool | None = None) -> bool:
    """A true/false field; without a default it must be sent."""
    value = _fields(data).get(key, default)
    if not isinstance(value, bool):
        raise ValidationFailed(fields={key: [_l("Must be true or false.")]})
    return value


@dataclass
class Actor:
    """Who sent an event, and the room their socket joined (when the event needs one)."""

    sid: str
    user: User
    session: Session | None = None
    viewer: live.Viewer | None = None


class LiveSocket:
    """One Socket.IO server per app: handlers, authentication, rate limit, presence upkeep."""

    def __init__(self, app: Flask):
        self.app = app
        redis_url = app.config.get("REDIS_URL")
        self.channel = app.config.get("LIVE_CHANNEL", "kakawari-live")
        self.heartbeat_every = float(app.config.get("LIVE_HEARTBEAT_SECONDS", 30))
        # intervals of a socket nobody vouched for in three heartbeats end at its last_seen
        self.stale_after = timedelta(seconds=3 * self.heartbeat_every)
        #: shares broadcasts with the other processes (None: this process is alone)
        self.fanout = LiveRedisManager(redis_url, self.channel) if redis_url else None
        self.sio = socketio.Server(
            async_mode=choose_async_mode(),
            client_manager=self.fanout,
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
        self.budgets = {
            name: parse(app.config.get(key, default)) for name, (key, default) in BUDGETS.items()
        }
        self.rate_storage = storage.storage_from_string(
            redis_url or "memory://",
            wrap_exceptions=True,
            **({"socket_connect_timeout": 2, "socket_timeout": 2} if redis_url else {}),
        )
        self.rate_limiter = strategies.MovingWindowRateLimiter(self.rate_storage)
        #: counts for this process alone while Redis does not answer
        self.rate_fallback = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._boot = secrets.token_hex(4)
        #: sockets of this process in a room: sid -> (session id, user id)
        self.joined: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._presence_due: set[int] = set()
        self._presence_sent: dict[int, float] = {}
        #: (session id, audience) -> (when, the last presence payload sent)
        self._presence_last: dict[tuple[int, str], tuple[float, dict]] = {}
        self._polls_due: dict[int, int] = {}
        self._polls_sent = 0.0
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
        events = {
            "join": (self.join, False),
            "leave": (self.leave, False),
            "heartbeat": (self.heartbeat, True),
            "chat": (self.chat, True),
            "chat_delete": (self.chat_delete, True),
            "mute": (self.mute, True),
            "hide_name": (self.hide_name, True),
            "ask": (self.ask, True),
            "upvote": (self.upvote, True),
            "question_answered": (self.question_answered, True),
            "question_hide": (self.question_hide, True),
            "poll_create": (self.poll_create, True),
            "poll_open": (self.poll_open, True),
            "poll_close": (self.poll_close, True),
            "poll_vote": (self.poll_vote, True),
            "announce": (self.announce, True),
        }
        for name, (handler, in_room) in events.items():
            on(name, self._guarded(name, handler, in_room), namespace=NAMESPACE)

    def _same_origin(self, origin, environ) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        allowed = {self.app.config["BASE_URL"], own}
        if self.app.config.get("PROXY_FIX") and "HTTP_X_FORWARDED_HOST" in environ:
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "https").split(",")[0].strip()
            allowed.add(f"{scheme}://{environ['HTTP_X_FORWARDED_HOST'].split(',')[0].strip()}")
        return origin in allowed

    def _guarded(self, name: str, handler, in_room: bool):
        """Run a handler in an app context; every failure becomes an error ack and event."""

        def run(sid, *args):
            data = args[0] if len(args) == 1 else None
            try:
                with self.app.app_context():
                    # one short session per event: what it committed need not be read back
                    db.session().expire_on_commit = False
                    state = self.sio.get_session(sid, namespace=NAMESPACE)
                    with force_locale(state.get("locale") or "ja"):
                        try:
                            check_decoded(data)  # too deep, control characters, surrogates
                            actor = self._actor(sid, state, in_room)
                            self._spend(name, actor.user.id)
                            return {"ok": True, **(handler(actor, data) or {})}
                        except KakawariError as exc:
                            db.session.rollback()
                            return self._refuse(sid, name, exc)
                        except Exception:
                            db.session.rollback()
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

    def _actor(self, sid: str, state: dict, in_room: bool) -> Actor:
        user = db.session.get(User, state.get("user_id") or 0)
        # checked on every event: a socket whose login or token ended (in any process, and
        # whether or not the close reached it) acts no more
        if user is None or not user.is_active or not _still_valid(state.get("auth"), user):
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
            self._admit(actor, state, live.get_room_session(state["session_id"]))
        return actor

    def _admit(self, actor: Actor, state: dict, session: Session) -> None:
        actor.session, actor.viewer = session, live.admit(session, actor.user)
        state["admitted"] = (actor.viewer.role.value, time.monotonic() + ADMIT_FOR)
        self.sio.save_session(actor.sid, state, namespace=NAMESPACE)

    # --- connecting ----------------------------------------------------------------------------

    def connect(self, sid, environ, auth=None):
        self._start_upkeep()
        with self.app.request_context(environ):
            try:
                found = self._authenticate(auth)
            except Exception:
                log.exception("authenticating a live socket failed")
                found, error = None, ServerError().to_dict()
            else:
                error = AuthenticationRequired().to_dict()
            if found is None:
                raise SocketRefused(error["code"], error)
            user, (kind, value) = found
            self.sio.save_session(
                sid,
                {
                    "user_id": user.id,
                    "locale": user.locale,
                    "session_id": None,
                    "auth": (kind, value),
                },
                namespace=NAMESPACE,
            )
            room = token_room(value) if kind == "token" else sessions_room(user.id)
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
            with self.app.app_context():
                joined = self.joined.pop(sid, None)
                if joined is not None:
                    presence.disconnect(sid, self.process)
                    self._presence_changed(joined[0])
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

    # --- joining -------------------------------------------------------------------------------

    def join(self, actor: Actor, data) -> dict:
        session = live.get_room_session(_id(data, "session_id"))
        viewer = live.admit(session, actor.user)
        current = self.joined.get(actor.sid, (None,))[0]
        if current is not None and current != session.id:
            self._leave(actor.sid)
        if current != session.id:
            presence.connect(session.id, actor.user.id, actor.sid, self.process, rejoin=True)
            audience = "mods" if viewer.moderates else "people"
            for part in (None, audience, f"user:{actor.user.id}"):
                self.sio.enter_room(actor.sid, room_name(session.id, part), namespace=NAMESPACE)
            self.joined[actor.sid] = (session.id, actor.user.id)
            self._presence_changed(session.id)
        with self.sio.session(actor.sid, namespace=NAMESPACE) as state:
            state["session_id"] = session.id
            state["admitted"] = (viewer.role.value, time.monotonic() + ADMIT_FOR)
        return {"state": live.snapshot(session, viewer, self._shared_presence(session, viewer))}

    def _shared_presence(self, session: Session, viewer: live.Viewer) -> dict | None:
        """In a big room a join reuses the presence list last broadcast to its audience (the
        joiner appears in the next one); otherwise the snapshot builds one for the viewer."""
        audience = "mods" if viewer.moderates else "people"
        when, payload = self._presence_last.get((session.id, audience), (0.0, None))
        fresh = time.monotonic() - when < PRESENCE_REUSE_FOR
        return payload if fresh and payload["count"] >= BIG_ROOM else None

    def leave(self, actor: Actor, data) -> None:
        self._leave(actor.sid)

    def _leave(self, sid: str) -> None:
        joined = self.joined.pop(sid, None)
        if joined is None:
            return
        session_id = joined[0]
        presence.disconnect(sid, self.process)
        for room in self.sio.rooms(sid, namespace=NAMESPACE):
            if room.startswith(room_name(session_id)):
                self.sio.leave_room(sid, room, namespace=NAMESPACE)
        with self.sio.session(sid, namespace=NAMESPACE) as state:
            state["session_id"] = state["admitted"] = None
        self._presence_changed(session_id)

    def heartbeat(self, actor: Actor, data) -> None:
        presence.heartbeat([actor.sid], self.process)

    # --- chat and moderation -------------------------------------------------------------------

    def chat(self, actor: Actor, data) -> dict:
        text = _fields(data).get("text")
        message = live.post_chat(actor.session, actor.viewer, text)
        members = _members(actor.session.id, [actor.user.id])
        reached = self._to_audiences(
            actor.session.id, "chat", lambda v: live.chat_payload(message, v, members)
        )
        return {"message": live.chat_payload(message, actor.viewer, members), **reached}

    def chat_delete(self, actor: Actor, data) -> None:
        message = live.delete_chat(actor.session, actor.viewer, _id(data, "id"))
        self._to_room(actor.session.id, "chat_deleted", {"id": message.id})

    def mute(self, actor: Actor, data) -> dict:
        user_id, muted = _id(data, "user_id"), _flag(data, "muted")
        live.set_muted(actor.session, actor.viewer, user_id, muted)
        payload = {"user_id": user_id, "muted": muted}
        for part in ("mods", f"user:{user_id}"):
            self.sio.emit(
                "muted", payload, room=room_name(actor.session.id, part), namespace=NAMESPACE
            )
        return payload

    def hide_name(self, actor: Actor, data) -> dict:
        member = live.set_hide_name(actor.session, actor.viewer, _flag(data, "hide"))
        self._presence_changed(actor.session.id)
        return {"hide_name": member.hide_name}

    # --- Q&A -----------------------------------------------------------------------------------

    def ask(self, actor: Actor, data) -> dict:
        text, anonymous = _fields(data).get("text"), _flag(data, "anonymous", False)
        question = live.ask(actor.session, actor.viewer, text, anonymous)
        members = _members(actor.session.id, [actor.user.id])
        reached = self._to_audiences(
            actor.session.id, "question", lambda v: live.question_payload(question, v, members)
        )
        return {"question": live.question_payload(question, actor.viewer, members), **reached}

    def upvote(self, actor: Actor, data) -> dict:
        question = live.upvote(actor.session, actor.viewer, _id(data, "question_id"))
        payload = {"id": question.id, "votes": question.votes}
        self._to_room(actor.session.id, "question_votes", payload)
        return payload

    def question_answered(self, actor: Actor, data) -> None:
        answered = _flag(data, "answered", True)
        question = live.mark_answered(actor.session, actor.viewer, _id(data, "id"), answered)
        self._to_room(
            actor.session.id, "question_answered", {"id": question.id, "answered": answered}
        )

    def question_hide(self, actor: Actor, data) -> None:
        question = live.hide_question(actor.session, actor.viewer, _id(data, "id"))
        self._to_room(actor.session.id, "question_hidden", {"id": question.id})

    # --- polls ---------------------------------------------------------------------------------

    def poll_create(self, actor: Actor, data) -> dict:
        fields = _fields(data)
        poll = live.create_poll(
            actor.session,
            actor.viewer,
            fields.get("question"),
            fields.get("options"),
            _flag(data, "multiple", False),
        )
        return {"poll": self._send_poll(actor, poll)}

    def poll_open(self, actor: Actor, data) -> dict:
        was_open = db.session.scalars(
            select(Poll).where(Poll.session_id == actor.session.id, Poll.status == "open")
        ).all()
        poll = live.open_poll(actor.session, actor.viewer, _id(data, "id"))
        for other in was_open:
            if other.id != poll.id:
                self._send_poll(actor, other)
        return {"poll": self._send_poll(actor, poll)}

    def poll_close(self, actor: Actor, data) -> dict:
        poll = live.close_poll(actor.session, actor.viewer, _id(data, "id"))
        return {"poll": self._send_poll(actor, poll)}

    def _send_poll(self, actor: Actor, poll: Poll) -> dict:
        """Broadcast a poll's state (drafts to organisers only); the actor's view is returned."""
        mine = live.poll_payload(poll, actor.viewer)
        state = {k: v for k, v in mine.items() if k != "my_choices"}
        part = "mods" if poll.status == "draft" else None
        self.sio.emit("poll", state, room=room_name(actor.session.id, part), namespace=NAMESPACE)
        return mine

    def poll_vote(self, actor: Actor, data) -> dict:
        poll = live.vote_poll(
            actor.session, actor.viewer, _id(data, "id"), _fields(data).get("choices")
        )
        with self._lock:
            self._polls_due[poll.id] = actor.session.id
        return {"poll": live.poll_payload(poll, actor.viewer)}

    # --- announcements -------------------------------------------------------------------------

    def announce(self, actor: Actor, data) -> dict:
        text = _fields(data).get("text")
        if not isinstance(text, str):
            raise ValidationFailed(fields={"text": [_l("Must be text.")]})
        pinned = live.announce(actor.session, actor.viewer, text)
        payload = {"text": pinned.text if pinned else None}
        self._to_room(actor.session.id, "announcement", payload)
        return {"announcement": payload["text"]}

    # --- sending -------------------------------------------------------------------------------

    def _to_room(self, session_id: int, event: str, payload: dict) -> None:
        self.sio.emit(event, payload, room=room_name(session_id), namespace=NAMESPACE)

    def _to_audiences(self, session_id: int, event: str, build) -> dict:
        """One payload for organisers, one for everyone else: names hidden from participants
        never leave the server in the second. Returns {} when every process was reached, else
        a `warning` for the sender's ack (the item is stored and reached this process only)."""
        if self.fanout:
            self.fanout.watch()
        for audience, viewer in AUDIENCES.items():
            self.sio.emit(
                event, build(viewer), room=room_name(session_id, audience), namespace=NAMESPACE
            )
        if self.fanout is None or self.fanout.reached_others():
            return {}
        return {"warning": {"code": "live_degraded", "message": str(LIVE_DEGRADED)}}

    def _spend(self, event: str, user_id: int) -> None:
        """Every event spends from its budget (BUDGET_OF), per person; refused beyond it."""
        budget = BUDGET_OF.get(event, "actions")
        rate, keys = self.budgets[budget], (self.channel, budget, str(user_id))
        try:
            allowed = self.rate_limiter.hit(rate, *keys)
        except StorageError:  # Redis does not answer: count in this process until it does
            log.warning("live rate limit: Redis unavailable, counting in this process")
            allowed = self.rate_fallback.hit(rate, *keys)
        if not allowed:
            raise RateLimited(MESSAGES_TOO_FAST if budget == "messages" else ACTIONS_TOO_FAST)

    # --- upkeep: coalesced broadcasts, heartbeat, stale sockets --------------------------------

    def _presence_changed(self, session_id: int) -> None:
        with self._lock:
            self._presence_due.add(session_id)

    def _start_upkeep(self) -> None:
        with self._lock:
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
        for lately (a crashed or killed process) at their last sign of life."""
        self._close_ended(list(self.joined))
        joined = dict(self.joined)
        if presence.heartbeat(list(joined), self.process) < len(joined):
            # another process took a slow one of ours for dead: open its interval again
            open_sids = set(
                db.session.scalars(
                    select(Connection.sid).where(
                        Connection.process == self.process, Connection.left_at.is_(None)
                    )
                )
            )
            for sid, (session_id, user_id) in joined.items():
                if sid not in open_sids and sid in self.joined:
                    presence.connect(session_id, user_id, sid, self.process)
        cutoff = utcnow() - self.stale_after
        rooms = db.session.scalars(
            select(Connection.session_id)
            .where(Connection.left_at.is_(None), Connection.last_seen_at < cutoff)
            .distinct()
        ).all()
        if rooms:
            # close_stale counts from its own STALE_AFTER: shift "now" to use ours
            presence.close_stale(now=cutoff + presence.STALE_AFTER)
            for session_id in rooms:
                self._presence_changed(session_id)

    def _close_ended(self, sids) -> None:
        """Close sockets in a room whose login or token ended, should the message to close them
        not have reached this process (Redis away): one that only listens goes within a beat.
        The same rule as _still_valid, for every socket in two queries."""
        opened = {}
        for sid in sids:
            try:
                state = self.sio.get_session(sid, namespace=NAMESPACE)
            except KeyError:  # gone meanwhile
                continue
            opened[sid] = (state.get("user_id"), state.get("auth") or (None, None))
        if not opened:
            return
        user_ids = {user_id for user_id, _ in opened.values()}
        versions = dict(
            db.session.execute(
                select(User.id, User.session_version).where(
                    User.id.in_(user_ids), User.deleted_at.is_(None)
                )
            ).all()
        )
        token_ids = {value for _, (kind, value) in opened.values() if kind == "token"}
        valid_tokens = set(
            db.session.scalars(
                select(ApiToken.id).where(ApiToken.id.in_(token_ids), ApiToken.revoked_at.is_(None))
            )
            if token_ids
            else ()
        )
        for sid, (user_id, (kind, value)) in opened.items():
            if kind == "session":
                stands = user_id in versions and versions[user_id] == value
            else:
                stands = user_id in versions and kind == "token" and value in valid_tokens
            if not stands:
                self.sio.disconnect(sid, namespace=NAMESPACE)

    def flush(self) -> None:
        """Send the presence lists and poll results that changed, each at most once per its
        interval (a join storm or a poll everyone answers at once is one broadcast)."""
        now = time.monotonic()
        with self._lock:
            rooms = [
                s
                for s in self._presence_due
                if now - self._presence_sent.get(s, 0.0) >= self._presence_every(s)
            ]
            for s in rooms:
                self._presence_due.discard(s)
                self._presence_sent[s] = now
            polls = {}
            if now - self._polls_sent >= POLL_RESULTS_EVERY:
                polls, self._polls_due, self._polls_sent = self._polls_due, {}, now
        for session_id in rooms:
            session = db.session.get(Session, session_id)
            if session is not None:
                self._to_audiences(session_id, "presence", self._presence_builder(session, now))
        for poll_id, session_id in polls.items():
            poll = db.session.get(Poll, poll_id)
            if poll is not None:
                payload = {"id": poll.id, "results": live.poll_results(poll)}
                self._to_room(session_id, "poll_results", payload)

    def _presence_builder(self, session: Session, now: float):
        def build(viewer: live.Viewer) -> dict:
            payload = live.presence_payload(session, viewer)
            audience = "mods" if viewer.moderates else "people"
            self._presence_last[(session.id, audience)] = (now, payload)
            return payload

        return build

    def _presence_every(self, session_id: int) -> float:
        _, last = self._presence_last.get((session_id, "people"), (0.0, {"count": 0}))
        return PRESENCE_EVERY * max(1.0, last["count"] / BIG_ROOM)


def _still_valid(auth, user: User) -> bool:
    """Whether what a socket was opened with still stands: the person's session version (a
    logout or a new password moves it on), or an API token not revoked."""
    kind, value = auth or (None, None)
    if kind == "session":
        return value == user.session_version
    if kind == "token":
        valid = exists().where(
            ApiToken.id == value, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
        return bool(db.session.scalar(select(valid)))
    return False


def _members(session_id: int, user_ids) -> dict[int, RoomMember]:
    """Room standing (hidden names) of the people a payload shows."""
    return {
        m.user_id: m
        for m in db.session.scalars(
            select(RoomMember).where(
                RoomMember.session_id == session_id, RoomMember.user_id.in_(list(user_ids))
            )
        )
    }


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
