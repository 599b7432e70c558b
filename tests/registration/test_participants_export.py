"""The participants CSV is streamed: its rows are read a batch at a time, with the same
content as the file built at once, in a number of queries that does not grow with the people."""

from sqlalchemy import event

from app.core import csvfile
from app.extensions import db
from app.registration import manage_services as manage
from app.registration import services as reg
from tests.conftest import create_user
from tests.registration.factories import make_series


def _registered(org_id: int, people: int, tag: str):
    """A series of two sessions (one venue seat in the first) and `people` registered for it:
    the first confirmed, the others waiting for the venue, in order."""
    series = make_series(org_id, sessions=[("venue", 1, None), ("hybrid", 2, 5)])
    for i in range(people):
        user = create_user(f"{tag}{i}@example.jp", name=f"参加者 {i}", furigana=f"さんか {i:03}")
        reg.register(series, user, mode="venue", consent=True)
    db.session.expire_all()
    return series


def _streamed(series, batch=csvfile.BATCH) -> bytes:
    header = manage.participants_csv_header(series)
    return csvfile.to_bytes(
        header, manage.participants_csv_rows(series, manage.Filters(), batch=batch)
    )


def _queries(series) -> int:
    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        _streamed(series)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_streamed_csv_is_the_file_built_at_once_whatever_the_batch(world, ctx):
    series = _registered(world["org"], 5, "same")
    whole = manage.participants_csv(series, manage.participants(series, manage.Filters()))
    assert _streamed(series) == whole
    assert _streamed(series, batch=2) == whole  # waitlist numbers carry across batches
    lines = whole.decode("utf-8-sig").splitlines()
    assert whole.startswith(b"\xef\xbb\xbf") and len(lines) == 1 + 5
    assert lines[1].startswith("参加者 0,") and "(4)" in lines[5]  # the last is 4th in line


def test_the_csv_takes_as_many_queries_for_many_people_as_for_few(world, ctx):
    few = _registered(world["org"], 2, "few")
    many = _registered(world["org"], 9, "many")
    db.session.expire_all()
    assert _queries(few) == _queries(many)
