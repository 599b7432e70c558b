"""A full room joining at once (issue 17: 1,000 people within 10 s, each answered within a
second): a join reads what is everyone's once for everyone joining meanwhile, and only what is
the person's own for each; a join never misses what was said just before it; a broadcast is
framed once for all its recipients."""

import threading

import pytest
from sqlalchemy import event
from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from app.extensions import db
from app.live.delivery import text_frame
from tests.live.test_socket import (  # noqa: F401 (fixture)
    _fresh_rate_limits,
    joined,
    wait_for,
)


@pytest.fixture
def statements(app):
    """SQL statements (and commits) per thread, while the test runs."""
    seen: dict[int, list[str]] = {}

    def statement(conn, cursor, sql, params, context, executemany):
        seen.setdefault(threading.get_ident(), []).append(sql.split(None, 1)[0].upper())

    def commit(conn):
        seen.setdefault(threading.get_ident(), []).append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    yield seen
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "commit", commit)


def test_a_join_reads_the_room_once_for_everyone_joining_meanwhile(app, connect, room, statements):
    joined(connect, room, "alice")  # reads the room's chat, questions, polls, announcement
    bob = connect(room.tokens["bob"])
    statements.clear()
    assert bob.call("join", {"session_id": room.session_id}, timeout=10)["ok"]
    (done,) = [s for s in statements.values() if "INSERT" in s]
    # who (the token's person, still valid), the room and its series, may they enter
    # (organiser? online place?), the presence row, the presence list (count, names): one commit
    assert done.count("COMMIT") == 1 and done[-1] == "COMMIT"
    assert len(done) <= 9, done


def test_a_join_sees_what_was_said_just_before_it(app, connect, room):
    alice = joined(connect, room, "alice")
    organizer = joined(connect, room, "organizer")
    said = alice.call("chat", {"text": "はじめまして"})["message"]
    asked = alice.call("ask", {"text": "資料は後で届きますか？"})["question"]
    assert organizer.call("announce", {"text": "10分後に始めます"})["ok"]
    bob = joined(connect, room, "bob")
    assert [m["id"] for m in bob.state["chat"]] == [said["id"]]
    assert [q["id"] for q in bob.state["questions"]] == [asked["id"]]
    assert bob.state["announcement"] == "10分後に始めます"
    wait_for(bob, "presence")  # bob's own presence list has left
    assert bob.call("upvote", {"question_id": asked["id"]})["ok"]
    wait_for(alice, "question_votes")
    again = alice.call("join", {"session_id": room.session_id})["state"]
    assert again["questions"][0]["votes"] == 1 and not again["questions"][0]["voted"]
    bob_again = bob.call("join", {"session_id": room.session_id})["state"]
    assert bob_again["questions"][0]["voted"]  # what is one's own is one's own


def test_a_person_sees_their_own_name_on_what_they_said_hidden(app, connect, room):
    alice = joined(connect, room, "alice")
    said = alice.call("chat", {"text": "名前は伏せます"})["message"]
    asked = alice.call("ask", {"text": "匿名で", "anonymous": True})["question"]
    bob = joined(connect, room, "bob")  # the room is read with her name on it
    assert bob.state["chat"][-1]["user"]["name"] == "青木 ありさ"
    assert alice.call("hide_name", {"hide": True})["ok"]
    bob.state = bob.call("join", {"session_id": room.session_id})["state"]
    assert bob.state["chat"][-1]["user"]["id"] is None
    assert "青木" not in str(bob.state["chat"]) + str(bob.state["questions"])
    mine = alice.call("join", {"session_id": room.session_id})["state"]
    assert mine["chat"][-1]["id"] == said["id"]
    assert mine["chat"][-1]["user"]["name"] == "青木 ありさ"
    assert mine["questions"][0]["id"] == asked["id"]
    assert mine["questions"][0]["user"]["name"] == "青木 ありさ"
    # and bob's view, shared with alice's a moment ago, still hides her
    assert joined(connect, room, "bob").state["chat"][-1]["user"]["id"] is None


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_a_broadcast_is_framed_as_wsproto_frames_a_text_message(size):
    text = ("あ" * (size // 3)) + "x" * (size % 3)  # `size` bytes of UTF-8
    server = Connection(ConnectionType.SERVER)  # what simple-websocket sends through
    assert text_frame(text) == server.send(TextMessage(data=text))
