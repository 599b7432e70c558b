"""Two gunicorn gevent processes sharing PostgreSQL and Redis: chat crosses processes, presence
counts both, and a killed process's sockets end at their last sign of life."""

import contextlib
import http.client
import json
import os
import secrets
import signal
import time
from datetime import timedelta

import pytest
import socketio
from sqlalchemy import select

from tests.concurrency.live import Database, LiveServer, make_people, setup_app
from tests.live.test_socket import forget, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("KAKAWARI_TEST_DB") != "postgresql",
        reason="the two-process test runs in the PostgreSQL suite",
    ),
]
REDIS_URL = os.environ.get("KAKAWARI_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def _clean_state():
    """This test brings its own database: the shared test app has nothing to clean."""
    yield


def make_open_room(app, people, *, bulk=False) -> int:
    """An online session starting now, with `people` registered to attend online (through
    the registration service, or for a benchmark's thousand people written directly)."""
    from app.accounts.models import User
    from app.core.types import utcnow
    from app.events import services as events
    from app.events.models import Mode
    from app.extensions import db
    from app.orgs.models import Organization
    from app.registration import services as reg
    from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

    now = utcnow()
    with app.app_context():
        org = Organization(name="しまね関係人口ラボ")
        db.session.add(org)
        db.session.commit()
        series = events.create_series(
            org,
            None,
            {
                "title": "しまね関係人口ゼミ 2026",
                "registration_opens_at": now - timedelta(days=1),
                "registration_closes_at": now + timedelta(days=1),
                "published": True,
            },
        )
        db.session.commit()
        session = events.add_session(
            series,
            None,
            {
                "title": "第2回 オンライン",
                "starts_at": now + timedelta(minutes=5),
                "ends_at": now + timedelta(hours=2),
                "format": "online",
                "online_capacity": len(people) + 10,
                "stream_url": "https://www.youtube.com/watch?v=demo",
            },
        )
        db.session.commit()
        for person in people:
            if not bulk:
                user = db.session.get(User, person.user_id)
                reg.register(series, user, mode="online", consent=True)
                continue
            registration = Registration(
                series_id=series.id,
                user_id=person.user_id,
                status=RegistrationStatus.confirmed,
                consent_at=now,
            )
            registration.places.append(
                Place(
                    session_id=session.id,
                    mode=Mode.online,
                    status=PlaceStatus.confirmed,
                    confirmed_at=now,
                )
            )
            db.session.add(registration)
        db.session.commit()
        session_id = session.id
        db.session.remove()
    return session_id


def connections(app, session_id):
    from app.extensions import db
    from app.live.models import Connection

    with app.app_context():
        rows = db.session.scalars(
            select(Connection).where(Connection.session_id == session_id).order_by(Connection.id)
        ).all()
        db.session.remove()
    return rows


def test_two_processes_share_chat_and_presence_and_a_killed_one_is_closed(tmp_path):
    started = time.monotonic()
    database = Database.create("kakawari_live2p")
    servers: list[LiveServer] = []
    clients: list[socketio.SimpleClient] = []
    try:
        database.migrate()
        app = setup_app(database.url, tmp_path / "instance")
        alice, bob = make_people(app, 2, "live2p")
        session_id = make_open_room(app, [alice, bob])
        env = {
            "REDIS_URL": REDIS_URL,
            "LIVE_CHANNEL": f"kakawari-test-{secrets.token_hex(4)}",  # no other run hears us
            "LIVE_HEARTBEAT_SECONDS": "1",
        }
        for _ in range(2):
            server = LiveServer(database.url, tmp_path, workers=1, env=env)
            servers.append(server)
            server.start()
        a, b = servers
        print(f"servers up after {time.monotonic() - started:.1f} s")
        assert "async_mode=gevent, Redis channel" in a.log()

        def join(server, person):
            client = socketio.SimpleClient()
            clients.append(client)
            client.connect(
                f"http://127.0.0.1:{server.port}",
                namespace="/live",
                transports=["websocket"],
                auth={"token": person.token},
            )
            ack = client.call("join", {"session_id": session_id}, timeout=15)
            assert ack["ok"], ack
            return client, ack["state"]

        on_a, _ = join(a, alice)
        on_b, state = join(b, bob)
        assert state["presence"]["count"] == 2  # presence lives in the database
        people = wait_for(on_a, "presence", lambda p: p["count"] == 2, timeout=10)["people"]
        assert sorted(p["id"] for p in people) == sorted([alice.user_id, bob.user_id])

        assert on_b.call("chat", {"text": "Bからこんにちは"})["ok"]
        assert wait_for(on_a, "chat", timeout=10)["text"] == "Bからこんにちは"
        assert on_a.call("chat", {"text": "Aから返信"})["ok"]
        assert wait_for(on_b, "chat", lambda m: m["text"] == "Aから返信", timeout=10)

        # process B dies without a word: its socket is left open in the database ...
        time.sleep(1.5)  # a heartbeat or two from B
        forget(on_a)
        os.killpg(b.process.pid, signal.SIGKILL)
        b.process.wait(10)
        (bobs,) = [c for c in connections(app, session_id) if c.user_id == bob.user_id]
        assert bobs.left_at is None and bobs.last_seen_at > bobs.joined_at
        # ... until A's heartbeat finds it silent for three beats and ends it at last seen
        assert wait_for(on_a, "presence", lambda p: p["count"] == 1, timeout=20)
        (closed,) = [c for c in connections(app, session_id) if c.user_id == bob.user_id]
        assert closed.left_at == bobs.last_seen_at
        (alices,) = [c for c in connections(app, session_id) if c.user_id == alice.user_id]
        assert alices.left_at is None
    finally:
        for client in clients:
            client.client.reconnection = False
        for client in clients:
            with contextlib.suppress(Exception):  # its server may be gone already
                client.disconnect()
        for server in servers:
            server.stop()
        database.drop()


def test_revoking_a_token_on_one_process_closes_its_socket_on_the_other(tmp_path):
    from app.accounts.models import User
    from app.accounts.services import create_api_token
    from app.extensions import db

    database = Database.create("kakawari_live2p")
    servers: list[LiveServer] = []
    clients: list[socketio.SimpleClient] = []
    try:
        database.migrate()
        app = setup_app(database.url, tmp_path / "instance")
        alice, bob = make_people(app, 2, "live2p")
        session_id = make_open_room(app, [alice, bob])
        with app.app_context():
            spare = create_api_token(db.session.get(User, alice.user_id), "spare")[1]
            db.session.commit()
            db.session.remove()
        env = {"REDIS_URL": REDIS_URL, "LIVE_CHANNEL": f"kakawari-test-{secrets.token_hex(4)}"}
        for _ in range(2):
            server = LiveServer(database.url, tmp_path, workers=1, env=env)
            servers.append(server)
            server.start()
        a, b = servers
        # alice's app is connected to process B with its token, bob too
        sockets = {}
        for name, person in (("alice", alice), ("bob", bob)):
            client = socketio.SimpleClient()
            clients.append(client)
            client.connect(
                f"http://127.0.0.1:{b.port}",
                namespace="/live",
                transports=["websocket"],
                auth={"token": person.token},
            )
            assert client.call("join", {"session_id": session_id}, timeout=15)["ok"]
            sockets[name] = client
        # she revokes that token through process A
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=15)
        as_alice = {"Authorization": f"Bearer {spare}"}
        conn.request("GET", "/api/v1/auth/tokens", headers=as_alice)
        listed = json.loads(conn.getresponse().read())
        (token_id,) = [t["id"] for t in listed if t["prefix"] == alice.token[:10]]
        conn.request("DELETE", f"/api/v1/auth/tokens/{token_id}", headers=as_alice)
        assert conn.getresponse().status == 204
        deadline = time.monotonic() + 10
        while sockets["alice"].connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sockets["alice"].connected, "B closed the socket of the revoked token"
        assert sockets["bob"].call("chat", {"text": "まだ話せます"}, timeout=15)["ok"]
    finally:
        for client in clients:
            if client.client:
                client.client.reconnection = False
        for client in clients:
            with contextlib.suppress(Exception):
                client.disconnect()
        for server in servers:
            server.stop()
        database.drop()
