"""A socket event is one unit of work (issue 17): the room's services only flush, the event
commits once, what it broadcasts leaves after that commit, and what other areas do about it
(attendance after time in the room ended) follows the commit. A refused event commits nothing;
an event failing half-way leaves nothing written and sends nothing."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.core import uow
from app.core.types import utcnow
from app.extensions import db
from app.live import payloads
from app.live.models import ChatMessage, Connection, PollVote
from app.live.signals import presence_closed
from tests.live.test_socket import (  # noqa: F401 (fixture)
    _fresh_rate_limits,
    joined,
    nothing,
    open_connections,
    wait_for,
)


class Commits:
    """Commits made while handling socket events (in the thread that ran the event), apart from
    those of what follows a commit (app/core/uow.py)."""

    def __init__(self):
        self.edge = 0
        self.after = 0
        self.event_threads: set[int] = set()
        self.others: list[tuple[int, bool]] = []  # upkeep, other sockets: counted later

    def __call__(self, session):
        self.others.append((threading.get_ident(), bool(session.info.get(uow._RUNNING))))

    def settle(self) -> tuple[int, int]:
        for ident, after in self.others:
            if ident in self.event_threads:
                self.after += after
                self.edge += not after
        self.others.clear()
        return self.edge, self.after

    def reset(self) -> None:
        self.edge = self.after = 0
        self.others.clear()


@pytest.fixture
def commits(app, monkeypatch):
    counter = Commits()
    live_socket = app.extensions["live_socket"]
    spend = live_socket.spend

    def spend_noting_the_thread(name, user_id):
        counter.event_threads.add(threading.get_ident())
        return spend(name, user_id)

    monkeypatch.setattr(live_socket, "spend", spend_noting_the_thread)
    event.listen(uow.UnitOfWorkSession, "after_commit", counter)
    yield counter
    event.remove(uow.UnitOfWorkSession, "after_commit", counter)


def once(commits, client, name, data=None) -> dict:
    """Send one event; it must be acknowledged ok after exactly one commit of its own."""
    commits.reset()
    ack = client.call(name, data if data is not None else {}, timeout=10)
    assert ack.get("ok"), (name, ack)
    assert commits.settle()[0] == 1, name
    return ack


def refused(commits, client, name, data, code) -> None:
    commits.reset()
    ack = client.call(name, data, timeout=10)
    assert ack["error"]["code"] == code, (name, ack)
    assert commits.settle() == (0, 0), name


def _count(app, model, *where) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return n


def test_each_event_commits_once(app, connect, room, commits):
    organizer = joined(connect, room, "organizer")
    alice = joined(connect, room, "alice")
    bob = connect(room.tokens["bob"])
    once(commits, bob, "join", {"session_id": room.session_id})

    message = once(commits, alice, "chat", {"text": "こんにちは"})["message"]
    assert wait_for(bob, "chat", lambda m: m["id"] == message["id"])
    question = once(commits, alice, "ask", {"text": "資料はありますか？"})["question"]
    once(commits, bob, "upvote", {"question_id": question["id"]})
    poll = once(commits, organizer, "poll_create", {"question": "Q?", "options": ["a", "b"]})
    poll_id = poll["poll"]["id"]
    once(commits, organizer, "poll_open", {"id": poll_id})
    once(commits, bob, "poll_vote", {"id": poll_id, "choices": [1]})
    once(commits, alice, "poll_vote", {"id": poll_id, "choices": [0]})
    once(commits, organizer, "poll_close", {"id": poll_id})
    once(commits, alice, "heartbeat")
    once(commits, bob, "leave")
    assert [r.left_at is not None for r in open_connections(app, room.session_id)].count(True) == 1
    # moving to another room closes one interval and opens another: still one commit
    once(commits, organizer, "join", {"session_id": room.other_session_id})
    assert [r.left_at is not None for r in open_connections(app, room.session_id)].count(True) == 2
    assert len(open_connections(app, room.other_session_id)) == 1


def test_a_refused_event_commits_nothing(app, connect, room, commits):
    organizer = joined(connect, room, "organizer")
    alice = joined(connect, room, "alice")
    question = once(commits, alice, "ask", {"text": "一度だけ"})["question"]
    once(commits, alice, "upvote", {"question_id": question["id"]})
    poll_id = once(commits, organizer, "poll_create", {"question": "Q?", "options": ["a", "b"]})[
        "poll"
    ]["id"]

    refused(commits, alice, "upvote", {"question_id": question["id"]}, "conflict")
    refused(commits, alice, "poll_open", {"id": poll_id}, "forbidden")
    refused(commits, alice, "poll_vote", {"id": poll_id, "choices": [0]}, "conflict")
    refused(commits, alice, "chat", {"text": ""}, "validation_error")
    refused(commits, alice, "chat", {"text": "x" * 5000}, "validation_error")
    stranger = connect(room.tokens["stranger"])
    refused(commits, stranger, "join", {"session_id": room.session_id}, "not_registered_online")
    refused(commits, stranger, "chat", {"text": "hi"}, "not_joined")
    assert _count(app, Connection, Connection.user_id == room.ids["stranger"]) == 0


def test_an_event_failing_half_way_writes_and_sends_nothing(app, connect, room, monkeypatch):
    alice = joined(connect, room, "alice")
    bob = joined(connect, room, "bob")
    organizer = joined(connect, room, "organizer")

    def broken(*args, **kwargs):
        raise RuntimeError("the payload could not be built")

    # the message is flushed, then building its broadcast fails
    with monkeypatch.context() as m:
        m.setattr(payloads, "chat_payload", broken)
        assert alice.call("chat", {"text": "消えるはず"})["error"]["code"] == "server_error"
    assert _count(app, ChatMessage, ChatMessage.session_id == room.session_id) == 0
    assert nothing(bob, "chat", seconds=0.5)

    poll_id = organizer.call("poll_create", {"question": "Q?", "options": ["a", "b"]})["poll"]["id"]
    assert organizer.call("poll_open", {"id": poll_id})["ok"]
    with monkeypatch.context() as m:
        m.setattr(payloads, "poll_payload", broken)
        assert bob.call("poll_vote", {"id": poll_id, "choices": [0]})["error"]["code"] == (
            "server_error"
        )
    assert _count(app, PollVote, PollVote.poll_id == poll_id) == 0

    # a join whose snapshot fails: no presence row, not counted in, and joining again works
    carol = connect(room.tokens["alice"])
    before = len(open_connections(app, room.session_id))
    with monkeypatch.context() as m:
        m.setattr(payloads, "snapshot", broken)
        ack = carol.call("join", {"session_id": room.session_id})
        assert ack["error"]["code"] == "server_error"
    assert len(open_connections(app, room.session_id)) == before
    assert carol.call("chat", {"text": "まだ部屋の外"})["error"]["code"] == "not_joined"
    assert carol.call("join", {"session_id": room.session_id})["ok"]
    assert len(open_connections(app, room.session_id)) == before + 1
    assert carol.call("chat", {"text": "入れた"})["ok"]


def test_attendance_hears_of_time_in_the_room_only_after_it_is_committed(app, connect, room):
    seen = []

    def committed_already(session_id, user_ids):
        # another connection sees the interval closed: it is committed
        with db.engine.connect() as other:
            open_rows = other.execute(
                select(func.count())
                .select_from(Connection)
                .where(
                    Connection.session_id == session_id,
                    Connection.user_id == room.ids["bob"],
                    Connection.left_at.is_(None),
                )
            ).scalar()
        seen.append((session_id, user_ids, open_rows))

    presence_closed.connect(committed_already, weak=False)
    try:
        bob = joined(connect, room, "bob")
        assert bob.call("leave", {})["ok"]
    finally:
        presence_closed.disconnect(committed_already)
    assert seen == [(room.session_id, [room.ids["bob"]], 0)]


def test_the_heartbeat_commits_once(app, connect, room, commits):
    alice = joined(connect, room, "alice")
    long_ago = utcnow() - timedelta(minutes=10)
    live_socket = app.extensions["live_socket"]
    with app.app_context():
        db.session.add(  # a socket of a process that died: closed by the beat
            Connection(
                session_id=room.session_id,
                user_id=room.ids["bob"],
                sid="crashed",
                process="elsewhere:1:dead",
                joined_at=long_ago - timedelta(minutes=5),
                last_seen_at=long_ago,
            )
        )
        db.session.commit()
        commits.reset()
        commits.event_threads = {threading.get_ident()}
        live_socket.beat()  # vouches for alice's socket, closes the dead one
        db.session.remove()
    assert commits.settle()[0] == 1
    rows = open_connections(app, room.session_id)
    assert [r.left_at for r in rows if r.sid == "crashed"] == [long_ago]
    assert alice.connected
