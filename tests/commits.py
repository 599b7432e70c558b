"""Counting commits, for the tests of "one unit of work per request" (issue 17).

`commits` (a fixture: import it into the test module) counts the commits of the session class
the app uses, apart: `edge`, the request's (or command's) own, and `after`, those of what
follows it (app.core.uow.after_commit: attendance, tickets, mails; and the mail queue drained
once a mail was committed, in tests at once and in its own session), each its own unit of work.
"""

import threading

import pytest
from sqlalchemy import event

from app.core import uow
from app.mail.delivery import _draining
from tests.conftest import csrf_token


class Commits:
    """Commits of the request's own unit of work, apart from those of what follows it. Only
    the test's thread counts (the test client runs requests in it): a server or a background
    job left running by an earlier test in the same process commits in threads of its own."""

    def __init__(self):
        self.edge = 0
        self.after = 0
        self.thread = threading.get_ident()

    def __call__(self, session):
        if threading.get_ident() != self.thread:
            return
        if session.in_nested_transaction():
            return  # a savepoint released: SQLAlchemy names it a commit too
        if session.info.get(uow._RUNNING) or _draining.get():
            self.after += 1
        else:
            self.edge += 1

    def reset(self) -> None:
        self.edge = self.after = 0


@pytest.fixture
def commits():
    counter = Commits()
    event.listen(uow.UnitOfWorkSession, "after_commit", counter)
    yield counter
    event.remove(uow.UnitOfWorkSession, "after_commit", counter)


def counted_post(client, commits: Commits, path: str, data=None, *, token_from: str, **kwargs):
    """POST a form as a browser does, counting only the POST's commits (not the page read for
    its CSRF token)."""
    data = {**(data or {}), "csrf_token": csrf_token(client, token_from)}
    commits.reset()
    return client.post(path, data=data, **kwargs)
