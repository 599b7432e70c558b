"""The edge's unit of work (issue 17): a view, an API operation or a command of registration
runs the services inside `one_unit_of_work()`, which commits once when they succeed and rolls
back all they wrote when anything is raised. Services only flush; what other areas hear of
follows the commit (app.core.uow.after_commit), each as its own unit of work.

A service marked `@joins_unit_of_work` called where no edge opened one (the demo's seeding,
tests that stand in for an edge, a receiver of another area's signal) is its own unit of work,
as Django's autocommit is outside `atomic()`; inside one it only flushes."""

from collections.abc import Callable
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from app.extensions import commit_keeping_loaded, db

_OPEN = "kakawari.registration.unit_of_work"

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def one_unit_of_work():
    """Commit once what the block wrote; anything raised rolls it back and goes on up. Inside
    another one it joins it: the outer one commits or rolls back."""
    session = db.session()
    if session.info.get(_OPEN):
        yield
        return
    session.info[_OPEN] = True
    try:
        yield
    except BaseException:
        session.info[_OPEN] = False
        db.session.rollback()
        raise
    session.info[_OPEN] = False
    db.session.commit()


def joins_unit_of_work(service: Callable[P, R]) -> Callable[P, R]:
    """The service flushes into the edge's unit of work; called where none is open, it is one
    by itself (committed keeping what it loaded, as these services did before issue 17)."""

    @wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = db.session()
        if session.info.get(_OPEN):
            return service(*args, **kwargs)
        session.info[_OPEN] = True
        try:
            result = service(*args, **kwargs)
        except BaseException:
            session.info[_OPEN] = False
            db.session.rollback()
            raise
        session.info[_OPEN] = False
        commit_keeping_loaded()
        return result

    return wrapper
