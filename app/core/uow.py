"""One unit of work per request: the edge commits once, and what others must know follows it.

`after_commit(fn)` queues `fn` to run once the current transaction has committed (as Django's
`transaction.on_commit`, which pretix uses for the same purpose). A rollback drops what was
queued, so nobody hears of a change that did not happen. Each callback is its own unit of work:
it commits what it writes itself; one that fails is logged and rolled back, and the change that
queued it stands. Callbacks queued by a callback run after that one's own commit.

The queue lives in the session's `info` and is moved to "ready" by SQLAlchemy's `after_commit`
event; `UnitOfWorkSession.commit` runs it once the commit has returned (SQL cannot be sent from
inside the event itself).
"""

import logging
from collections.abc import Callable

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

log = logging.getLogger("kakawari.uow")

_PENDING = "kakawari.after_commit"
_READY = "kakawari.after_commit.ready"
_RUNNING = "kakawari.after_commit.running"


def after_commit(fn: Callable[[], None], session=None) -> None:
    """Run `fn` once the current transaction of `session` (the request's by default) commits;
    never if it rolls back."""
    if session is None:
        from app.extensions import db

        session = db.session()
    session.info.setdefault(_PENDING, []).append(fn)


class UnitOfWorkSession(FlaskSession):
    """The app's session: after a commit, the callbacks queued with after_commit() run."""

    def commit(self) -> None:
        super().commit()
        if self.info.get(_RUNNING):
            return  # a callback committed: the loop below runs what it queued, after it
        self.info[_RUNNING] = True
        try:
            while self.info.get(_READY):
                fn = self.info[_READY].pop(0)
                try:
                    fn()
                    if self.in_transaction():
                        super().commit()
                except Exception:
                    log.exception("After the commit: %r failed", fn)
                    self.rollback()
        finally:
            self.info[_RUNNING] = False

    def rollback(self) -> None:
        self.info.pop(_PENDING, None)  # even when no transaction had begun yet
        super().rollback()

    def close(self) -> None:
        self.info.pop(_PENDING, None)
        self.info.pop(_READY, None)
        super().close()


@event.listens_for(UnitOfWorkSession, "after_commit")
def _ready(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy sends after_commit for it too): not yet
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(UnitOfWorkSession, "after_soft_rollback")
def _dropped(session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # a savepoint rolled back: what its outer transaction queued still stands
    session.info.pop(_PENDING, None)
