"""The live room's Socket.IO protocol, spoken by python-socketio clients to a real server
(Werkzeug, threaded, websocket transport) on the test database."""

import socket
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import socketio
from limits import parse
from sqlalchemy import select
from werkzeug.serving import make_server

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.live.models import Connection
from app.live.socket import server as live_socket_module
from app.registration import services as reg
from tests.conftest import create_user, login
from tests.registration.factories import make_series

XSS = '<img src=x onerror="alert(1)"><script>alert("x")</script>&amp;'


# --- a server, a room and people ------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    yield
    app.extensions["live_socket"].rate_storage.reset()


def make_room(org_id, title="しまね関係人口ゼミ 2026"):
    series = make_series(org_id, sessions=[("online", 0, 50)], title=title)
    session = series.sessions[0]
    session.starts_at = utcnow() + timedelta(minutes=5)
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    return series, session


def token_for(user) -> str:
    _token, secret = create_api_token(user, "live test")
    db.session.commit()
    return secret


@pytest.fixture
def room(app, world):
    """An online session open now: alice and bob registered online, carol in another room."""
    with app.app_context():
        series, session = make_room(world["org"])
        people = {}
        for key, name in (("alice", "青木 ありさ"), ("bob", "馬場 ぼたん")):
            user = create_user(f"{key}@example.jp", name=name)
            reg.register(series, user, mode="online", consent=True)
            people[key] = user
        other_series, other = make_room(world["org"], title="ふるさとみつけ塾")
        carol = create_user("carol@example.jp", name="千葉 かおる")
        reg.register(other_series, carol, mode="online", consent=True)
        people["carol"] = carol
        people["organizer"] = db.session.get(User, world["organizer"])
        people["staff"] = db.session.get(User, world["staff"])
        people["stranger"] = create_user("stranger@example.jp")
        return SimpleNamespace(
            session_id=session.id,
            other_session_id=other.id,
            ids={k: u.id for k, u in people.items()},
            names={k: u.name for k, u in people.items()},
            tokens={k: token_for(u) for k, u in people.items()},
        )


@pytest.fixture
def connect(live_url):
    """connect(token=..., headers=...) -> a SimpleClient on /live; all closed afterwards."""
    clients = []

    def _connect(token=None, *, headers=None, auth=None):
        client = socketio.SimpleClient()
        client.connect(
            live_url,
            namespace="/live",
            transports=["websocket"],
            headers=headers or {},
            auth=auth if auth is not None else ({"token": token} if token else None),
        )
        clients.append(client)
        return client

    yield _connect
    # websocket-client waits up to 3 s for a close frame the server already sent: in parallel
    closing = [threading.Thread(target=c.disconnect) for c in clients]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(10)


def joined(connect, room, who, session_id=None):
    client = connect(room.tokens[who])
    ack = client.call("join", {"session_id": session_id or room.session_id}, timeout=10)
    assert ack["ok"], ack
    client.state = ack["state"]
    return client


def wait_for(client, event, match=lambda data: True, timeout=5.0):
    """The first `event` whose payload matches, in arrival order; other events are kept for
    later waits (broadcasts of different kinds may arrive in any order)."""
    stash = client.__dict__.setdefault("stash", [])
    for i, (name, data) in enumerate(stash):
        if name == event and match(data):
            del stash[i]
            return data
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {event!r} within {timeout} s")
        try:
            name, *args = client.receive(timeout=remaining)
        except socketio.exceptions.TimeoutError:
            continue
        data = args[0] if args else None
        if name == event and match(data):
            return data
        stash.append((name, data))


def forget(client) -> None:
    """Drop the events kept by wait_for: what comes next is about a new state."""
    client.__dict__.get("stash", []).clear()


def nothing(client, event, seconds=1.0, match=lambda data: True) -> bool:
    try:
        wait_for(client, event, match, timeout=seconds)
    except AssertionError:
        return True
    return False


def refused(live_url, **kwargs) -> dict | None:
    """Connect with a plain Client and return the connect_error data (None when accepted)."""
    client = socketio.Client()
    errors = []
    client.on("connect_error", lambda data: errors.append(data), namespace="/live")
    try:
        client.connect(
            live_url, namespaces=["/live"], transports=["websocket"], wait_timeout=5, **kwargs
        )
    except socketio.exceptions.ConnectionError as exc:
        error = errors[0] if errors else {"message": str(exc)}
        return error.get("data", error) if isinstance(error, dict) else {"message": error}
    client.disconnect()
    return None


def open_connections(app, session_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Connection).where(Connection.session_id == session_id).order_by(Connection.id)
        ).all()
        db.session.remove()
        return rows


# --- connecting -----------------------------------------------------------------------------------


def test_connecting_needs_a_valid_token_or_the_session_cookie(app, live_url, room, world):
    assert refused(live_url)["code"] == "authentication_required"
    assert refused(live_url, auth={"token": "kk_not-a-token"})["code"] == "authentication_required"
    assert refused(live_url, auth={"token": ["list"]})["code"] == "authentication_required"
    assert refused(live_url, auth={"token": room.tokens["alice"]}) is None
    browser = app.test_client()
    login(browser, world["emails"]["organizer"])
    cookie = browser.get_cookie("session")
    assert refused(live_url, headers={"Cookie": f"session={cookie.value}"}) is None
    assert refused(live_url, headers={"Cookie": "session=forged"})["code"] == (
        "authentication_required"
    )
    # a page of another site may not use the visitor's cookie
    other_site = {"Cookie": f"session={cookie.value}", "Origin": "https://evil.example"}
    assert refused(live_url, headers=other_site) is not None


def test_a_cookie_session_acts_as_its_person(app, connect, room, world):
    browser = app.test_client()
    login(browser, world["emails"]["organizer"])
    client = connect(headers={"Cookie": f"session={browser.get_cookie('session').value}"})
    ack = client.call("join", {"session_id": room.session_id})
    assert ack["state"]["me"] == {
        "id": world["organizer"],
        "name": "景山 健",
        "role": "organizer",
        "muted": False,
        "hide_name": False,
    }


def test_the_server_declines_websocket_compression(live_url):
    """Browsers offer permessage-deflate; accepting it would compress every broadcast once per
    recipient. The handshake must answer without the extension."""
    port = int(live_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{port}\r\n".encode()
            + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += sock.recv(4096)
    head = response.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 101")
    assert "permessage-deflate" not in head


# --- joining --------------------------------------------------------------------------------------


def test_join_is_refused_to_people_not_registered_online(app, connect, room):
    stranger = connect(room.tokens["stranger"])
    ack = stranger.call("join", {"session_id": room.session_id})
    assert ack["error"]["code"] == "not_registered_online"
    assert wait_for(stranger, "error")["code"] == "not_registered_online"
    assert stranger.call("join", {"session_id": 999999})["error"]["code"] == "not_found"
    assert stranger.call("chat", {"text": "hi"})["error"]["code"] == "not_joined"
    assert open_connections(app, room.session_id) == []


def test_join_answers_with_the_room_and_chat_reaches_everyone(app, connect, room):
    alice = joined(connect, room, "alice")
    assert alice.state["me"]["role"] == "participant"
    assert alice.state["session"]["id"] == room.session_id
    assert {"chat", "questions", "polls", "announcement", "presence", "stream"} <= set(alice.state)
    bob = joined(connect, room, "bob")
    assert bob.state["presence"]["count"] == 2

    ack = alice.call("chat", {"text": f"  {XSS}  "})
    assert ack["ok"] and ack["message"]["text"] == XSS
    message = wait_for(bob, "chat")
    assert message["text"] == XSS  # plain text both ways; the page inserts it as textContent
    assert message["user"] == {"id": room.ids["alice"], "name": "青木 ありさ", "hidden": False}
    assert set(message) == {"id", "user", "text", "at"}
    assert wait_for(alice, "chat")["id"] == ack["message"]["id"]  # the author's tabs too


def test_a_socket_acts_only_in_the_room_it_joined(connect, room):
    alice = joined(connect, room, "alice")
    carol = joined(connect, room, "carol", room.other_session_id)
    # not registered for alice's room: refused, and still in her own
    assert carol.call("join", {"session_id": room.session_id})["error"]["code"] == (
        "not_registered_online"
    )
    assert carol.call("chat", {"text": "still in my own room"})["ok"]
    assert nothing(alice, "chat", 0.5)
    alice.call("chat", {"text": "alice's room", "session_id": room.other_session_id})
    assert nothing(carol, "chat", 0.5, lambda m: m["text"] == "alice's room")


def test_admission_is_checked_again_while_in_the_room(app, connect, room, monkeypatch):
    monkeypatch.setattr(live_socket_module, "ADMIT_FOR", 0.0)  # every event, for the test
    alice = joined(connect, room, "alice")
    assert alice.call("chat", {"text": "まだいます"})["ok"]
    with app.app_context():
        session = db.session.get(Session, room.session_id)
        reg.cancel(reg.active_registration(session.series_id, room.ids["alice"]))
        db.session.remove()
    ack = alice.call("chat", {"text": "キャンセルしました"})
    assert ack["error"]["code"] == "not_registered_online"


# --- moderation -----------------------------------------------------------------------------------


def test_organisers_delete_messages_and_mute_people_participants_cannot(connect, room):
    alice, bob = joined(connect, room, "alice"), joined(connect, room, "bob")
    organizer = joined(connect, room, "organizer")
    message = alice.call("chat", {"text": "宣伝です"})["message"]
    # venue staff work at the door: the room's names and chat are not theirs
    ack = connect(room.tokens["staff"]).call("join", {"session_id": room.session_id})
    assert ack["error"]["code"] == "not_registered_online"

    for who in (bob,):
        assert who.call("chat_delete", {"id": message["id"]})["error"]["code"] == "forbidden"
        ack = who.call("mute", {"user_id": room.ids["alice"], "muted": True})
        assert ack["error"]["code"] == "forbidden"
    assert organizer.call("chat_delete", {"id": message["id"]})["ok"]
    assert wait_for(bob, "chat_deleted") == {"id": message["id"]}

    ack = organizer.call("mute", {"user_id": room.ids["alice"], "muted": True})
    assert ack == {"ok": True, "user_id": room.ids["alice"], "muted": True}
    assert wait_for(alice, "muted") == {"user_id": room.ids["alice"], "muted": True}
    assert alice.call("chat", {"text": "まだ話せる？"})["error"]["code"] == "muted"
    assert alice.call("ask", {"text": "質問は？"})["error"]["code"] == "muted"
    assert nothing(bob, "muted", 0.3)  # only organisers and the person hear of it
    organizer.call("mute", {"user_id": room.ids["alice"], "muted": False})
    assert alice.call("chat", {"text": "戻りました"})["ok"]


# --- Q&A ------------------------------------------------------------------------------------------


def test_questions_are_upvoted_once_and_moderated(connect, room):
    alice, bob = joined(connect, room, "alice"), joined(connect, room, "bob")
    organizer = joined(connect, room, "organizer")
    question = alice.call("ask", {"text": "資料はもらえますか？"})["question"]
    assert wait_for(bob, "question")["text"] == "資料はもらえますか？"

    assert bob.call("upvote", {"question_id": question["id"]}) == {
        "ok": True,
        "id": question["id"],
        "votes": 1,
    }
    assert wait_for(alice, "question_votes") == {"id": question["id"], "votes": 1}
    assert bob.call("upvote", {"question_id": question["id"]})["error"]["code"] == "conflict"

    assert bob.call("question_answered", {"id": question["id"]})["error"]["code"] == "forbidden"
    assert organizer.call("question_answered", {"id": question["id"], "answered": True})["ok"]
    assert wait_for(bob, "question_answered") == {"id": question["id"], "answered": True}
    assert bob.call("question_hide", {"id": question["id"]})["error"]["code"] == "forbidden"
    assert organizer.call("question_hide", {"id": question["id"]})["ok"]
    assert wait_for(alice, "question_hidden") == {"id": question["id"]}
    assert bob.call("upvote", {"question_id": question["id"]})["error"]["code"] == "not_found"


# --- polls ----------------------------------------------------------------------------------------


def test_polls_open_take_votes_with_live_results_and_close(connect, room):
    alice, bob = joined(connect, room, "alice"), joined(connect, room, "bob")
    organizer = joined(connect, room, "organizer")
    ack = bob.call("poll_create", {"question": "Q?", "options": ["a", "b"]})
    assert ack["error"]["code"] == "forbidden"

    draft = organizer.call(
        "poll_create", {"question": "どこから参加？", "options": ["東京", "大阪", "島根"]}
    )["poll"]
    assert draft["status"] == "draft"
    assert wait_for(organizer, "poll")["status"] == "draft"
    assert nothing(bob, "poll", 0.5)  # drafts stay with the organisers
    assert bob.call("poll_vote", {"id": draft["id"], "choices": [0]})["error"]["code"] == "conflict"

    assert bob.call("poll_open", {"id": draft["id"]})["error"]["code"] == "forbidden"
    assert organizer.call("poll_open", {"id": draft["id"]})["poll"]["status"] == "open"
    opened = wait_for(bob, "poll")
    assert opened["status"] == "open" and opened["options"] == ["東京", "大阪", "島根"]
    assert "my_choices" not in opened

    ack = bob.call("poll_vote", {"id": draft["id"], "choices": [2]})
    assert ack["poll"]["my_choices"] == [2]
    assert ack["poll"]["results"] == {"voters": 1, "counts": [0, 0, 1]}
    results = wait_for(alice, "poll_results")
    assert results == {"id": draft["id"], "results": {"voters": 1, "counts": [0, 0, 1]}}
    assert alice.call("poll_vote", {"id": draft["id"], "choices": [0, 1]})["error"]["code"] == (
        "validation_error"
    )

    assert organizer.call("poll_close", {"id": draft["id"]})["poll"]["status"] == "closed"
    assert wait_for(alice, "poll", lambda p: p["status"] == "closed")["id"] == draft["id"]
    assert alice.call("poll_vote", {"id": draft["id"], "choices": [0]})["error"]["code"] == (
        "conflict"
    )


def test_opening_a_poll_closes_the_open_one_for_everyone(connect, room):
    bob, organizer = joined(connect, room, "bob"), joined(connect, room, "organizer")
    first = organizer.call("poll_create", {"question": "1?", "options": ["a", "b"]})["poll"]
    second = organizer.call("poll_create", {"question": "2?", "options": ["c", "d"]})["poll"]
    organizer.call("poll_open", {"id": first["id"]})
    organizer.call("poll_open", {"id": second["id"]})
    assert wait_for(bob, "poll", lambda p: p["id"] == first["id"] and p["status"] == "closed")
    assert wait_for(bob, "poll", lambda p: p["id"] == second["id"])["status"] == "open"


# --- announcements --------------------------------------------------------------------------------


def test_announcements_are_pinned_and_cleared_by_organisers(connect, room):
    alice, organizer = joined(connect, room, "alice"), joined(connect, room, "organizer")
    assert alice.call("announce", {"text": "hi"})["error"]["code"] == "forbidden"
    assert organizer.call("announce", {"text": "10分休憩します"})["announcement"] == (
        "10分休憩します"
    )
    assert wait_for(alice, "announcement") == {"text": "10分休憩します"}
    organizer.call("announce", {"text": ""})
    assert wait_for(alice, "announcement") == {"text": None}


# --- names per audience ---------------------------------------------------------------------------


def test_hidden_names_reach_organisers_only(connect, room):
    alice, bob = joined(connect, room, "alice"), joined(connect, room, "bob")
    organizer = joined(connect, room, "organizer")
    assert alice.call("hide_name", {"hide": True}) == {"ok": True, "hide_name": True}

    ack = alice.call("chat", {"text": "名前は出さずに"})
    assert ack["message"]["user"]["name"] == "青木 ありさ"  # her own view
    for_bob = wait_for(bob, "chat")
    assert for_bob["user"]["id"] is None and "青木" not in str(for_bob)
    for_organizer = wait_for(organizer, "chat")
    assert for_organizer["user"] == {"id": room.ids["alice"], "name": "青木 ありさ", "hidden": True}

    question = bob.call("ask", {"text": "匿名で聞きます", "anonymous": True})["question"]
    assert question["user"]["name"] == "馬場 ぼたん"
    assert "馬場" not in str(wait_for(alice, "question"))
    assert wait_for(organizer, "question")["user"]["id"] == room.ids["bob"]

    # presence lists sent after she hid her name (a leak would time out here)
    people = wait_for(bob, "presence", lambda p: p["count"] == 3 and "青木" not in str(p))
    assert "景山 健" in str(people) and any(p["id"] is None for p in people["people"])
    hidden = {"id": room.ids["alice"], "name": "青木 ありさ", "hidden": True}
    assert wait_for(organizer, "presence", lambda p: hidden in p["people"])["count"] == 3
    rejoined = alice.call("join", {"session_id": room.session_id})["state"]
    assert rejoined["chat"][-1]["user"]["name"] == "青木 ありさ"  # the snapshot is per person


# --- abuse ----------------------------------------------------------------------------------------


def test_each_person_may_send_about_five_messages_per_ten_seconds(connect, room):
    alice, alice_tab = joined(connect, room, "alice"), joined(connect, room, "alice")
    bob = joined(connect, room, "bob")
    for i in range(3):
        assert alice.call("chat", {"text": f"{i}"})["ok"]
    assert alice_tab.call("ask", {"text": "質問"})["ok"]
    assert alice_tab.call("chat", {"text": "4"})["ok"]
    ack = alice.call("chat", {"text": "too many"})
    assert ack["error"]["code"] == "rate_limited"
    assert wait_for(alice, "error", lambda e: e["code"] == "rate_limited")["event"] == "chat"
    assert alice_tab.call("ask", {"text": "別のタブ"})["error"]["code"] == "rate_limited"
    assert bob.call("chat", {"text": "others may still talk"})["ok"]


BAD_PAYLOADS = [
    None,
    [],
    ["session_id", 1],
    "text",
    42,
    True,
    {},
    {"text": 42},
    {"text": ["a"]},
    {"text": {"$gt": ""}},
    {"text": "x" * 20_000},
    {"text": "   "},
    {"text": "a\x00b"},
    {"id": "1"},
    {"id": True},
    {"id": 10**30},
    {"id": -1},
    {"question_id": 1.5},
    {"session_id": None},
    {"user_id": "1", "muted": "yes"},
    {"hide": "no"},
    {"question": "Q", "options": "ab"},
    {"question": "Q", "options": [1, 2]},
    {"question": "Q", "options": ["a"] * 50},
    {"id": 1, "choices": "0"},
    {"text": "hi", "anonymous": "maybe", "multiple": "no", "answered": 1},
]
EVENTS = [
    "join",
    "chat",
    "chat_delete",
    "mute",
    "hide_name",
    "ask",
    "upvote",
    "question_answered",
    "question_hide",
    "poll_create",
    "poll_open",
    "poll_close",
    "poll_vote",
    "announce",
]


def test_malformed_payloads_and_unknown_events_never_break_the_socket(
    app, connect, room, monkeypatch
):
    live_socket = app.extensions["live_socket"]
    monkeypatch.setattr(
        live_socket, "budgets", dict.fromkeys(live_socket.budgets, parse("1000 per second"))
    )
    organizer = joined(connect, room, "organizer")  # may use every event
    refusals = 0
    for event in EVENTS:
        for payload in BAD_PAYLOADS:
            ack = organizer.call(event, payload, timeout=10)
            # some payloads are fine for some events (an id that exists): never a crash
            assert set(ack) == {"error"} or ack["ok"] is True, (event, payload, ack)
            if "error" in ack:
                assert {"code", "message"} <= set(ack["error"]), ack
                assert ack["error"]["code"] != "server_error", (event, payload, ack)
                refusals += 1
            elif not isinstance(payload, dict) or not payload:
                raise AssertionError(f"{event} accepted {payload!r}")
    assert refusals > 300
    assert organizer.call("chat", ("two", "arguments"))["error"]["code"] == "validation_error"
    assert organizer.call("no_such_event", {"x": 1})["error"]["code"] == "unknown_event"
    assert wait_for(organizer, "error", lambda e: e["event"] == "no_such_event")
    assert organizer.call("chat", {"text": "still here"})["ok"]


def test_an_oversized_message_closes_only_its_own_socket(connect, room):
    alice, bob = joined(connect, room, "alice"), joined(connect, room, "bob")
    alice.emit("chat", {"text": "x" * 200_000})
    deadline = time.monotonic() + 5
    while alice.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bob.call("chat", {"text": "the server is fine"})["ok"]
    again = joined(connect, room, "alice")
    assert again.state["chat"][-1]["text"] == "the server is fine"


# --- reconnecting and presence --------------------------------------------------------------------


def test_a_reconnecting_client_gets_the_current_room_state(connect, room):
    alice, organizer = joined(connect, room, "alice"), joined(connect, room, "organizer")
    alice.call("chat", {"text": "前半ありがとうございました"})
    question = alice.call("ask", {"text": "後半の資料は？"})["question"]
    poll = organizer.call("poll_create", {"question": "満足度", "options": ["高", "低"]})["poll"]
    organizer.call("poll_open", {"id": poll["id"]})
    alice.call("poll_vote", {"id": poll["id"], "choices": [0]})
    organizer.call("announce", {"text": "後半は14時から"})
    alice.disconnect()

    state = joined(connect, room, "alice").state
    assert state["chat"][-1]["text"] == "前半ありがとうございました"
    assert [q["id"] for q in state["questions"]] == [question["id"]]
    assert state["polls"][0]["id"] == poll["id"] and state["polls"][0]["my_choices"] == [0]
    assert state["announcement"] == "後半は14時から"


def test_presence_intervals_are_written_and_closed_on_disconnect(app, connect, room):
    alice = joined(connect, room, "alice")
    bob = joined(connect, room, "bob")
    assert wait_for(alice, "presence", lambda p: p["count"] == 2)
    rows = open_connections(app, room.session_id)
    assert sorted(r.user_id for r in rows) == sorted([room.ids["alice"], room.ids["bob"]])
    assert all(r.left_at is None for r in rows)

    forget(alice)
    bob.disconnect()
    people = wait_for(alice, "presence", lambda p: p["count"] == 1)["people"]
    assert [p["id"] for p in people] == [room.ids["alice"]]
    (closed,) = [r for r in open_connections(app, room.session_id) if r.user_id == room.ids["bob"]]
    assert closed.left_at is not None and closed.left_at >= closed.joined_at

    alice.call("leave", {})
    alice_rows = open_connections(app, room.session_id)
    assert all(r.left_at is not None for r in alice_rows)
    assert alice.call("chat", {"text": "gone"})["error"]["code"] == "not_joined"


def test_the_heartbeat_closes_sockets_of_dead_processes_at_last_seen(app, connect, room):
    alice = joined(connect, room, "alice")
    assert wait_for(alice, "presence", lambda p: p["count"] == 1)
    forget(alice)
    live_socket = app.extensions["live_socket"]
    long_ago = utcnow() - timedelta(minutes=10)
    with app.app_context():
        db.session.add(
            Connection(
                session_id=room.session_id,
                user_id=room.ids["bob"],
                sid="crashed",
                process="elsewhere:1:dead",
                joined_at=long_ago - timedelta(minutes=5),
                last_seen_at=long_ago,
            )
        )
        # someone took alice's live socket for dead: her process opens it again
        db.session.execute(
            Connection.__table__.update()
            .where(Connection.user_id == room.ids["alice"])
            .values(left_at=utcnow())
        )
        db.session.commit()
        live_socket.beat()
        db.session.remove()
    rows = open_connections(app, room.session_id)
    assert [r.left_at for r in rows if r.sid == "crashed"] == [long_ago]
    assert [r.left_at is None for r in rows if r.user_id == room.ids["alice"]] == [False, True]
    assert wait_for(alice, "presence", lambda p: p["count"] == 1)
