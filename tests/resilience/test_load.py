"""Everything at once against one production-like server (gunicorn, 3 gevent workers, Redis
between them): 1,000 registrations over four series, 1,000 check-in scans and a live room of
200 people chatting. No 5xx, and afterwards every record is there exactly once.

The counts can be lowered for a quick run (KAKAWARI_LOAD_REGISTRATIONS, _SCANS, _CHATTERS)."""

import asyncio
import os
import secrets
import threading
import time
from collections import Counter

import pytest
import socketio
from sqlalchemy import func, select

from app.extensions import db
from tests.concurrency.live import (
    Call,
    LiveServer,
    make_people,
    make_stage,
    place_counts,
    registration_calls,
    sustained,
)
from tests.concurrency.test_checkin_concurrency import checkin_rows, make_venue
from tests.live.test_two_processes import make_open_room
from tests.resilience.faults import chat_ids

pytestmark = pytest.mark.resilience

REGISTRATIONS = int(os.environ.get("KAKAWARI_LOAD_REGISTRATIONS", "1000"))
SCANS = int(os.environ.get("KAKAWARI_LOAD_SCANS", "1000"))
CHATTERS = int(os.environ.get("KAKAWARI_LOAD_CHATTERS", "200"))
SERIES = 4
HTTP_CLIENTS = 16  # per kind of request, each sending one after another
REDIS_URL = os.environ.get("KAKAWARI_TEST_REDIS", "redis://127.0.0.1:6379/0")


class Room:
    """CHATTERS socket clients in one asyncio loop: connect, join, each say one thing, and
    wait until everyone has heard everything."""

    def __init__(self, url: str, tokens: list[str], session_id: int):
        self.url, self.tokens, self.session_id = url, tokens, session_id
        self.heard: list[set[int]] = [set() for _ in tokens]
        self.acks: list[dict] = []
        self.failures: list[str] = []
        self.seconds = 0.0

    def run(self) -> None:
        started = time.monotonic()
        asyncio.run(self._run())
        self.seconds = time.monotonic() - started

    async def _run(self) -> None:
        gate = asyncio.Semaphore(20)  # connections being opened at once
        clients = await asyncio.gather(
            *(self._join(i, gate) for i in range(len(self.tokens))), return_exceptions=True
        )
        joined = [c for c in clients if isinstance(c, socketio.AsyncClient)]
        self.failures += [repr(c) for c in clients if not isinstance(c, socketio.AsyncClient)]
        acks = await asyncio.gather(
            *(c.call("chat", {"text": f"{i}です"}, "/live", 60) for i, c in enumerate(joined)),
            return_exceptions=True,
        )
        self.acks = [a for a in acks if isinstance(a, dict) and a.get("ok")]
        self.failures += [repr(a) for a in acks if not (isinstance(a, dict) and a.get("ok"))]
        sent = {a["message"]["id"] for a in self.acks}
        deadline = time.monotonic() + 60
        while any(not sent <= h for h in self.heard) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.gather(*(c.disconnect() for c in joined), return_exceptions=True)

    async def _join(self, i: int, gate) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)

        async def on_chat(message):
            self.heard[i].add(message["id"])

        client.on("chat", on_chat, namespace="/live")
        async with gate:
            await client.connect(
                self.url,
                namespaces=["/live"],
                transports=["websocket"],
                auth={"token": self.tokens[i]},
                wait_timeout=60,
            )
            # a browser waits 45 s for a ping; python-engineio's client far less
            client.eio.ping_timeout = client.eio.ping_interval + client.eio.ping_timeout
            ack = await client.call("join", {"session_id": self.session_id}, "/live", 60)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        return client


def counted(app, model, column, value) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(column == value))
        db.session.remove()
    return n


def test_registrations_scans_and_a_chatting_room_at_once(live_db, live_app, tmp_path):
    from app.registration.models import Registration

    started = time.monotonic()
    stages = [make_stage(live_app, REGISTRATIONS // SERIES * 4 // 5) for _ in range(SERIES)]
    registrants = make_people(live_app, REGISTRATIONS, "load")
    share = REGISTRATIONS // SERIES
    registrations = [
        call
        for n, stage in enumerate(stages)
        for call in registration_calls(stage, registrants[n * share : (n + 1) * share])
    ]
    venue = make_venue(live_app, SCANS, phones=4)
    scans = [
        Call(
            "POST",
            venue.scan_path,
            venue.phones[i % 4].token,
            {"secret": secret, "nonce": f"load-{i}", "device_id": f"phone-{i % 4}"},
        )
        for i, (_rid, secret) in enumerate(venue.tickets)
    ]
    chatters = make_people(live_app, CHATTERS, "chatter")
    session_id = make_open_room(live_app, chatters, bulk=True)
    prepared = time.monotonic()
    env = {
        "REDIS_URL": REDIS_URL,
        "LIVE_CHANNEL": f"kakawari-test-{secrets.token_hex(4)}",
        # production-like: every socket of the room held open, a pool for the requests
        "GUNICORN_CMD_ARGS": "--worker-connections 1000",
        "DATABASE_POOL_SIZE": "10",
        "DATABASE_MAX_OVERFLOW": "10",
    }
    with LiveServer(live_db.url, tmp_path, workers=3, env=env) as server:
        room = Room(f"http://127.0.0.1:{server.port}", [p.token for p in chatters], session_id)
        answers: dict[str, list] = {}

        def fire(kind, calls):
            answers[kind] = sustained(server.port, calls, HTTP_CLIENTS)

        threads = [
            threading.Thread(target=room.run),
            threading.Thread(target=fire, args=("registrations", registrations)),
            threading.Thread(target=fire, args=("scans", scans)),
        ]
        load_started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        load_seconds = time.monotonic() - load_started
        log = server.log()

    print(
        f"\nprepared in {prepared - started:.1f} s; {len(registrations)} registrations, "
        f"{len(scans)} scans and {CHATTERS} chatters at once in {load_seconds:.1f} s "
        f"(the room: {room.seconds:.1f} s)"
    )
    statuses = {kind: Counter(r.status for r in results) for kind, results in answers.items()}
    assert statuses == {
        "registrations": {201: len(registrations)},
        "scans": {200: len(scans)},
    }, (statuses, log[-3000:])
    assert "Traceback" not in log, log[-3000:]

    # registrations: one per person, each with exactly one place, never beyond capacity
    for n, stage in enumerate(stages):
        assert counted(live_app, Registration, Registration.series_id, stage.series_id) == share
        places = place_counts(live_app, stage.session_id)
        assert sum(places.values()) == share, places
        assert places["confirmed"] == REGISTRATIONS // SERIES * 4 // 5, (n, places)
    # scans: every ticket checked in once, every verdict green
    assert Counter(r.body["status"] for r in answers["scans"]) == {"ok": len(scans)}
    rows = checkin_rows(live_app, venue.session_id)
    assert Counter(rid for rid, _n, _d in rows) == {rid: 1 for rid, _s in venue.tickets}
    # the room: everyone joined and spoke once, every message is stored once and was heard by
    # everyone
    assert not room.failures, room.failures[:5]
    sent = {a["message"]["id"] for a in room.acks}
    assert len(sent) == CHATTERS
    assert sorted(chat_ids(live_app, session_id)) == sorted(sent)
    deaf = [i for i, heard in enumerate(room.heard) if not sent <= heard]
    assert not deaf, f"{len(deaf)} people missed messages, e.g. {len(sent - room.heard[deaf[0]])}"
