"""One unit of work per socket event and per round of upkeep (issue 17): the room's services and
presence only flush; the event commits once at its end. What it tells the sockets is built
before that commit and sent after it, so nobody hears of a message that was not stored; what
other areas do about it (attendance after time in the room ended) follows the commit through
app/core/uow.py. An event that fails writes nothing and sends nothing, and what it changed in
this process's memory (the rooms a socket joined) is undone."""

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.extensions import db
from app.live.socket.broadcast import LIVE_DEGRADED, NAMESPACE

log = logging.getLogger(__name__)


@dataclass
class Work:
    """What one unit of work does besides writing."""

    #: (event, payload, room) to send once it has committed
    sends: list = field(default_factory=list)
    #: callables to run once it has committed (before the sends)
    after: list = field(default_factory=list)
    #: callables that undo what it changed in memory, should it roll back
    undo: list = field(default_factory=list)
    #: whether its ack says so when the other processes were not reached (chat, ask)
    tell_unreached: bool = False
    #: what the ack adds after the sends: {} or {"warning": ...}
    warning: dict = field(default_factory=dict)


class UnitsOfWork:
    """LiveSocket's units of work (server.py gives it `sio` and `fanout`; broadcast.py sends
    through `emit`)."""

    def _init_units(self) -> None:
        #: the unit of work running in this thread (greenlet under gevent), innermost last
        self._units = threading.local()

    def current_work(self) -> Work | None:
        stack = getattr(self._units, "stack", None)
        return stack[-1] if stack else None

    @contextmanager
    def unit_of_work(self):
        """Commit once when the block ends, then send what it queued; on any failure roll back,
        send nothing, undo its changes in memory and raise. Units nest (a socket closed during
        the upkeep closes its presence in a unit of its own, in an app context of its own)."""
        work = Work()
        stack = getattr(self._units, "stack", None)
        if stack is None:
            stack = self._units.stack = []
        stack.append(work)
        try:
            yield work
            db.session.commit()
        except BaseException:
            stack.pop()
            db.session.rollback()
            for undo in reversed(work.undo):
                try:
                    undo()
                except Exception:
                    log.exception("undoing %r after a rollback failed", undo)
            raise
        stack.pop()
        for fn in work.after:
            fn()
        work.warning = self._send(work)

    def later(self, fn) -> None:
        """Run `fn` (no database work: this process's memory) once the unit of work commits, or
        now outside one."""
        work = self.current_work()
        if work is not None:
            work.after.append(fn)
        else:
            fn()

    def emit(self, event: str, payload, room: str) -> None:
        """Send to a room: inside a unit of work once it has committed, else now."""
        work = self.current_work()
        if work is not None:
            work.sends.append((event, payload, room))
        else:
            self.sio.emit(event, payload, room=room, namespace=NAMESPACE)

    def _send(self, work: Work) -> dict:
        if not work.sends:
            return {}
        if self.fanout:
            self.fanout.watch()
        for event, payload, room in work.sends:
            self.sio.emit(event, payload, room=room, namespace=NAMESPACE)
        if not work.tell_unreached or self.fanout is None or self.fanout.reached_others():
            return {}
        return {"warning": {"code": "live_degraded", "message": str(LIVE_DEGRADED)}}
