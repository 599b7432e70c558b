"""Redis goes away under two server processes: pages, logins, sign-ups, registrations and
check-ins keep answering (rate limits fall back to each process's memory), the live room keeps
its chat within each process and says that the other processes cannot hear it, and when Redis
is back everything crosses processes again without restarting anything."""

import secrets
import time

import pytest

from tests.concurrency.live import LiveServer, make_people, make_stage
from tests.concurrency.test_checkin_concurrency import make_venue
from tests.live.test_two_processes import make_open_room
from tests.resilience.faults import Participant, PrivateRedis, start_together, wait_until
from tests.resilience.web import Visitor, failures, make_login

pytestmark = pytest.mark.resilience

#: the answers each step may give; anything else (a 5xx above all) is a failure
ALLOWED = {
    "home": {200},
    "series list": {200},
    "series page": {200},
    "login page": {200},
    "login form": {200},
    "web login": {302},
    "web login (wrong password)": {200},
    "API login": {201},
    "API login (wrong password)": {401},
    "API sign-up": {201},
    "API registration": {201},
    "check-in scan": {200},
}


def everything_a_visitor_does(port, world, n: int) -> list:
    visitor = Visitor(port)
    secret = world["venue"].tickets[n][1]
    return [
        *visitor.public_pages(world["series_id"]),
        visitor.web_login(world["email"]),
        visitor.web_login(world["email"], "wrong-password-1"),
        visitor.api_login(world["email"]),
        visitor.api_login(world["email"], "wrong-password-1"),
        visitor.api_signup(),
        visitor.api_register(world["series_id"], world["registrants"][n].token),
        visitor.scan(world["venue"].session_id, world["venue"].phones[0].token, secret, f"n{n}"),
    ]


def test_redis_down_and_back(live_db, live_app, tmp_path):
    app = live_app
    redis = PrivateRedis()
    servers: list[LiveServer] = []
    people: list[Participant] = []
    try:
        redis.start()
        alice, bob, carol = make_people(app, 3, "redisdown")
        session_id = make_open_room(app, [alice, bob, carol])
        world = {
            "email": "login.redisdown@example.jp",
            "series_id": make_stage(app, 50).series_id,
            "registrants": make_people(app, 6, "registrant"),
            "venue": make_venue(app, 6, phones=1),
        }
        make_login(app, world["email"])
        channel = f"kakawari-test-{secrets.token_hex(4)}"
        env = {"REDIS_URL": redis.url, "LIVE_CHANNEL": channel, "LIVE_HEARTBEAT_SECONDS": "1"}
        servers += [LiveServer(live_db.url, tmp_path, workers=1, env=env) for _ in range(2)]
        start_together(servers)
        a, b = servers
        urls = [f"http://127.0.0.1:{s.port}" for s in servers]

        # alice and carol on process A, bob on process B; chat crosses through Redis
        for person, url in ((alice, urls[0]), (carol, urls[0]), (bob, urls[1])):
            people.append(Participant([url], person.token, session_id))
            people[-1].connect()
        on_a, on_a2, on_b = people
        assert on_b.say("Redis は元気です")["ok"]
        wait_until(lambda: on_b.acked[-1] in on_a.seen, 10, message="chat did not cross")
        assert not failures(everything_a_visitor_does(a.port, world, 0), ALLOWED)

        # --- Redis goes away -------------------------------------------------------------------
        redis.stop()
        down = time.monotonic()
        steps = everything_a_visitor_does(a.port, world, 1)
        steps += everything_a_visitor_does(b.port, world, 2)
        print("Redis down:", failures(steps, ALLOWED))
        assert max(s.seconds for s in steps) < 5, [(s.name, s.seconds) for s in steps]
        assert b.process.poll() is None and a.process.poll() is None
        assert not failures(steps, ALLOWED), a.log()[-3000:]

        # the room: a message is stored and reaches the sender's own process at once, and the
        # sender is told that people on other processes will not see it live
        started = time.monotonic()
        ack = on_a.say("Redis が落ちました")
        assert time.monotonic() - started < 5
        assert ack is not None and ack["ok"], ack
        assert ack["warning"]["code"] == "live_degraded", ack
        assert ack["warning"]["message"]
        wait_until(lambda: ack["message"]["id"] in on_a2.seen, 10, message="not even locally")
        print(f"Redis down for {time.monotonic() - down:.1f} s")

        # --- Redis is back: both processes listen again and chat crosses again -----------------
        redis.start()
        back = time.monotonic()
        wait_until(lambda: redis.subscribers(channel) == 2, 30, 0.2, "listeners did not return")
        print(f"both processes listen again {time.monotonic() - back:.1f} s after Redis is back")
        ack = on_a.say("Redis が戻りました")
        assert ack["ok"] and "warning" not in ack, ack
        wait_until(lambda: ack["message"]["id"] in on_b.seen, 10, message="B did not hear A")
        ack = on_b.say("B からも届きます")
        assert ack["ok"] and "warning" not in ack, ack
        wait_until(lambda: ack["message"]["id"] in on_a.seen, 10, message="A did not hear B")
        # bob missed the outage's message live; rejoining (a reload) brings it from the database
        missed = on_a.acked[0]  # "Redis が落ちました"
        assert missed not in on_b.seen
        on_b.close()
        rejoined = Participant([urls[1]], bob.token, session_id)
        people.append(rejoined)
        rejoined.connect()
        assert missed in rejoined.seen
        steps = [*everything_a_visitor_does(a.port, world, 3), Visitor(b.port).health()]
        assert not failures(steps, {**ALLOWED, "healthz": {200}})
    finally:
        for person in people:
            person.close()
        for server in servers:
            server.stop()
        redis.stop()
