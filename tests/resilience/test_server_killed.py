"""One of two server processes is killed (SIGKILL) in the middle of a live session while
everyone chats: its people reconnect to the survivor (as a browser behind a load balancer
would) and rejoin, no message whose sending was acknowledged is lost, and the dead process's
presence intervals end at their last sign of life, not when someone noticed."""

import os
import secrets
import signal
import threading
import time
from datetime import timedelta

import pytest

from app.core.types import utcnow
from tests.concurrency.live import LiveServer, make_people
from tests.live.test_two_processes import connections, make_open_room
from tests.resilience.faults import Participant, chat_ids, start_together, wait_until

pytestmark = pytest.mark.resilience

REDIS_URL = os.environ.get("KAKAWARI_TEST_REDIS", "redis://127.0.0.1:6379/0")
PER_SERVER = 4
ROUNDS = 4  # messages per person, one every 2.5 s (the room allows 5 per 10 s)
GAP = 2.5
KILL_AFTER = 4.0  # seconds into the chatting


def test_killing_one_of_two_servers_loses_no_acknowledged_message(live_db, live_app, tmp_path):
    env = {
        "REDIS_URL": REDIS_URL,
        "LIVE_CHANNEL": f"kakawari-test-{secrets.token_hex(4)}",
        "LIVE_HEARTBEAT_SECONDS": "1",
    }
    servers = [LiveServer(live_db.url, tmp_path, workers=1, env=env) for _ in range(2)]
    people: list[Participant] = []
    try:
        start_together(servers)
        victim = servers[1]
        urls = [f"http://127.0.0.1:{s.port}" for s in servers]
        who = make_people(live_app, 2 * PER_SERVER, "killed")
        session_id = make_open_room(live_app, who)
        for i, person in enumerate(who):
            mine = urls if i < PER_SERVER else urls[::-1]  # first their own server, then the other
            people.append(Participant(mine, person.token, session_id))
        for p in people:
            p.connect()
        on_victim = people[PER_SERVER:]
        first_sids = {c.user_id: c.sid for c in connections(live_app, session_id)}

        def chatter(n: int, p: Participant) -> None:
            for r in range(ROUNDS):
                p.say(f"{n}さんの発言 {r}")
                time.sleep(GAP)

        threads = [threading.Thread(target=chatter, args=x) for x in enumerate(people)]
        for t in threads:
            t.start()
        time.sleep(KILL_AFTER)
        killed_at = utcnow()
        os.killpg(victim.process.pid, signal.SIGKILL)
        victim.process.wait(10)
        for t in threads:
            t.join(60)

        # the victim's people moved to the survivor and joined again
        assert all(p.failovers == 1 and p.joined.is_set() for p in on_victim)
        assert all(p.url == urls[0] for p in people)

        # every acknowledged message is stored, and every person has it (live or by the
        # snapshot of their rejoin: the room keeps the last 50, more than this test sends)
        acked = {m for p in people for m in p.acked}
        stored = chat_ids(live_app, session_id)
        assert len(stored) < 50
        assert acked <= set(stored), sorted(acked - set(stored))
        assert len(acked) >= len(people) * (ROUNDS - 1), "too few messages got through"
        for p in people:
            wait_until(lambda p=p: acked <= p.seen, 10, message=lambda p=p: acked - p.seen)
        print(f"{len(acked)} messages acknowledged, {len(stored)} stored")

        # the dead process's intervals end at their last sign of life, found by the heartbeat
        def victims_rows():
            rows = connections(live_app, session_id)
            return [r for r in rows if r.sid == first_sids.get(r.user_id) and r.user_id in ids]

        ids = {who[i].user_id for i in range(PER_SERVER, 2 * PER_SERVER)}
        assert len(victims_rows()) == PER_SERVER
        wait_until(lambda: all(r.left_at for r in victims_rows()), 20, 0.2, "never closed")
        for row in victims_rows():
            assert row.left_at == row.last_seen_at
            # vouched for by its heartbeat (every second) until it died
            assert killed_at - timedelta(seconds=3) < row.last_seen_at <= killed_at
        # everyone has exactly one open interval now, on the survivor
        open_rows = [r for r in connections(live_app, session_id) if r.left_at is None]
        assert sorted(r.user_id for r in open_rows) == sorted(p.user_id for p in who)
        assert len({r.process for r in open_rows}) == 1
    finally:
        for p in people:
            p.close()
        for server in servers:
            server.stop()
