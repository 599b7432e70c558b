"""Who receives what: the rooms a socket is put in, one payload per audience, and the coalesced
broadcasts (presence lists and poll results) that the upkeep loop sends at most so often.

Every room of a session has three parts besides the whole: "mods" (organisers), "people"
(everyone else) and "user:<id>" (one person's sockets). Payloads that show names are built
once per audience, for a viewer who is nobody in particular, so a name hidden from
participants never leaves the server in theirs.
"""

import threading
import time
from types import SimpleNamespace

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.events.models import Session
from app.extensions import db
from app.live import payloads
from app.live.models import Poll
from app.live.services import RoomRole, Viewer

NAMESPACE = "/live"
#: presence lists grow with the room: send them at most this often per room, and less often
#: in big rooms (every 10 s with 1,000 people), where joins reuse the last list
PRESENCE_EVERY = 2.0
BIG_ROOM = 200
PRESENCE_REUSE_FOR = 15.0
POLL_RESULTS_EVERY = 0.5
#: a room view (what joiners see) is shared until something is sent to the room, and for at most
#: this long (what changes without a broadcast: a session's details, a name hidden in another
#: process, which its next presence list shows anyway)
VIEW_FOR = 2.0

#: in a chat or ask ack when Redis did not take the broadcast to the other server processes
LIVE_DEGRADED = _l(
    "Sent, but the live connection is disrupted: some people will see it only after "
    "reloading the page."
)

# Broadcasts are built once per audience, for a viewer who is nobody in particular.
_NOBODY = SimpleNamespace(id=None)
AUDIENCES = {
    "mods": Viewer(_NOBODY, RoomRole.organizer),
    "people": Viewer(_NOBODY, RoomRole.participant),
}


def room_name(session_id: int, part: str | None = None) -> str:
    return f"live:{session_id}" + (f":{part}" if part else "")


def audience(viewer: Viewer) -> str:
    return "mods" if viewer.moderates else "people"


def sessions_room(user_id: int) -> str:
    """The sockets a person opened with a session cookie: logging out closes them."""
    return f"user:{user_id}:sessions"


def token_room(token_id: int) -> str:
    """The sockets opened with one API token: revoking it closes them."""
    return f"token:{token_id}"


class Broadcasts:
    """LiveSocket's sending (server.py gives it `sio`, unit.py `emit` and `current_work`)."""

    def _init_broadcasts(self) -> None:
        self._lock = threading.Lock()
        self._presence_due: set[int] = set()
        self._presence_sent: dict[int, float] = {}
        #: (session id, audience) -> (when, the last presence payload sent)
        self._presence_last: dict[tuple[int, str], tuple[float, dict]] = {}
        self._polls_due: dict[int, int] = {}
        self._polls_sent = 0.0
        #: session id -> how many times something was sent to the room (from any process)
        self._room_changes: dict[int, int] = {}
        #: (session id, audience, locale) -> (changes, when, the room view read then)
        self._views: dict[tuple, tuple[int, float, payloads.RoomView]] = {}

    # --- what joiners see: one room view per audience, until the room changes ------------------

    def room_sent(self, room: str, event: str) -> None:
        """Everything sent to a room passes here (delivery.py), whichever process sent it: the
        room's view is read again for the next joiner. Presence lists are not in the view."""
        if event != "presence" and room.startswith("live:"):
            session_id = room.split(":", 2)[1]
            if session_id.isdigit():
                self.room_changed(int(session_id))

    def room_changed(self, session_id: int) -> None:
        """The next joiner reads the room again."""
        self._room_changes[session_id] = self._room_changes.get(session_id, 0) + 1

    def room_view(self, session: Session, viewer: Viewer) -> payloads.RoomView:
        """The room as the viewer's audience sees it. A joiner is in the room's broadcasts
        before asking (handlers.join), so whatever was sent after the shared view was read
        either changed the count here (the view is read again) or reaches the joiner."""
        key = (session.id, audience(viewer), str(get_locale()))
        changes = self._room_changes.get(session.id, 0)
        found = self._views.get(key)
        if found is not None and found[0] == changes and time.monotonic() - found[1] < VIEW_FOR:
            return found[2]
        view = payloads.room_view(session, AUDIENCES[audience(viewer)])
        if len(self._views) > 1000:  # rooms long over
            self._views.clear()
        self._views[key] = (changes, time.monotonic(), view)
        return view

    def to_room(self, session_id: int, event: str, payload: dict, part: str | None = None):
        """Inside a socket event (a unit of work, unit.py): sent once it has committed."""
        self.emit(event, payload, room_name(session_id, part))

    def to_audiences(self, session_id: int, event: str, build) -> None:
        """One payload for organisers, one for everyone else: names hidden from participants
        never leave the server in the second. Built now; inside a socket event the sender's
        ack carries a `warning` when the other processes were not reached (the item is stored
        and reached this process only)."""
        work = self.current_work()
        if work is not None:
            work.tell_unreached = True
        for part, viewer in AUDIENCES.items():
            self.to_room(session_id, event, build(viewer), part)

    # --- coalesced: presence lists and poll results --------------------------------------------

    def presence_changed(self, session_id: int) -> None:
        """Due for a presence broadcast: inside a unit of work once it has committed (the
        upkeep loop reads the room in a transaction of its own)."""
        self.later(lambda: self._due_presence(session_id))

    def _due_presence(self, session_id: int) -> None:
        with self._lock:
            self._presence_due.add(session_id)

    def poll_results_changed(self, poll: Poll) -> None:
        """Due for a results broadcast, as presence_changed."""
        poll_id, session_id = poll.id, poll.session_id
        self.later(lambda: self._due_poll(poll_id, session_id))

    def _due_poll(self, poll_id: int, session_id: int) -> None:
        with self._lock:
            self._polls_due[poll_id] = session_id

    def shared_presence(self, session: Session, viewer: Viewer) -> dict | None:
        """In a big room a join reuses the presence list last broadcast to its audience (the
        joiner appears in the next one); otherwise the snapshot builds one for the viewer."""
        when, payload = self._presence_last.get((session.id, audience(viewer)), (0.0, None))
        fresh = time.monotonic() - when < PRESENCE_REUSE_FOR
        return payload if fresh and payload["count"] >= BIG_ROOM else None

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
                self.to_audiences(session_id, "presence", self._presence_builder(session, now))
        for poll_id, session_id in polls.items():
            poll = db.session.get(Poll, poll_id)
            if poll is not None:
                payload = {"id": poll.id, "results": payloads.poll_results(poll)}
                self.to_room(session_id, "poll_results", payload)

    def _presence_builder(self, session: Session, now: float):
        def build(viewer: Viewer) -> dict:
            payload = payloads.presence_payload(session, viewer)
            self._presence_last[(session.id, audience(viewer))] = (now, payload)
            return payload

        return build

    def _presence_every(self, session_id: int) -> float:
        _, last = self._presence_last.get((session_id, "people"), (0.0, {"count": 0}))
        return PRESENCE_EVERY * max(1.0, last["count"] / BIG_ROOM)
