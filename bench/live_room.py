"""Live room load: N websocket clients in one room on one `gunicorn -k gevent -w 1` process.

    .venv/bin/python bench/live_room.py --clients 1000

Makes a throwaway PostgreSQL database (dropped afterwards), N participants with API tokens
registered online for a session whose room is open, and starts the server. The clients
(`socketio.AsyncClient`, websocket transport) are split over several processes so the swarm is
not the bottleneck; separate sender clients then chat at a steady rate, then all at once.
Prints the time to connect and join, the delivery latency at the steady rate (p50/p99 over
every delivery) and the deliveries per second of the burst. Target on a 2-core machine:
1,000 clients, p99 under 200 ms at 10 messages/s.

--deflate makes every client offer permessage-deflate as browsers do (the server must decline).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.concurrency.live import Database, LiveServer, make_people, percentile, setup_app  # noqa: E402
from tests.live.test_two_processes import make_open_room  # noqa: E402

STEADY_SENDERS = 40  # each sends well under the 5-per-10-s limit at 10 messages/s
BURST_PER_SENDER = 4


def client_options(deflate: bool) -> dict:
    options = {"reconnection": False}
    if deflate:
        options["websocket_extra_options"] = {"compress": 15}
    return options


# --- the swarm: one asyncio process per slice of the clients -----------------------------------


def browser_like(client) -> None:
    """Tolerate a late server ping as a browser does (socket.io-client waits pingInterval +
    pingTimeout, 45 s); python-engineio's client gives up 5 s after the ping interval, so a
    silent client in a busy room would otherwise drop out of the measurement."""
    client.eio.ping_timeout = client.eio.ping_interval + client.eio.ping_timeout


async def _swarm(url, tokens, session_id, deflate, pipe):
    import socketio

    received: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(10)  # connections opened at once per process

    async def one(token):
        client = socketio.AsyncClient(**client_options(deflate))

        async def on_chat(data):
            received.append((data["text"], time.time()))

        client.on("chat", on_chat, namespace="/live")
        async with gate:
            started = time.perf_counter()
            try:
                await client.connect(
                    url,
                    namespaces=["/live"],
                    transports=["websocket"],
                    auth={"token": token},
                    wait_timeout=120,
                )
                browser_like(client)
                ack = await client.call(
                    "join", {"session_id": session_id}, namespace="/live", timeout=120
                )
            except Exception as exc:  # reported, not raised: the others go on
                return client, None, repr(exc)
            if not ack.get("ok"):
                return client, None, str(ack)
            return client, time.perf_counter() - started, None

    results = await asyncio.gather(*(one(t) for t in tokens))
    pipe.send(
        ("ready", [r[1] for r in results if r[1] is not None], [r[2] for r in results if r[2]])
    )
    cpu_mark = time.process_time()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "mark":
            cpu_mark = time.process_time()
            pipe.send(None)
        elif command == "count":
            pipe.send(sum(1 for text, _ in received if text.startswith("b:")))
        elif command == "stop":
            pipe.send((received, time.process_time() - cpu_mark))
            break
    await asyncio.gather(*(r[0].disconnect() for r in results), return_exceptions=True)


def swarm_process(url, tokens, session_id, deflate, pipe):
    asyncio.run(_swarm(url, tokens, session_id, deflate, pipe))


# --- the server's side -----------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the run -----------------------------------------------------------------------------------


class Senders:
    """Clients in the room that chat: steady ones at a fixed rate, then burst ones at once."""

    def __init__(self, url, session_id, deflate):
        self.url, self.session_id, self.deflate = url, session_id, deflate
        self.clients = []
        self.refused: list[str] = []

    async def join(self, tokens) -> None:
        import socketio

        for token in tokens:
            client = socketio.AsyncClient(**client_options(self.deflate))
            await client.connect(
                self.url,
                namespaces=["/live"],
                transports=["websocket"],
                auth={"token": token},
                wait_timeout=120,
            )
            browser_like(client)
            ack = await client.call(
                "join", {"session_id": self.session_id}, namespace="/live", timeout=120
            )
            assert ack.get("ok"), ack
            self.clients.append(client)

    async def say(self, client, text) -> None:
        def acknowledged(ack):
            if "error" in ack:
                self.refused.append(ack["error"]["code"])

        await client.emit("chat", {"text": text}, namespace="/live", callback=acknowledged)

    async def steady(self, rate: float, seconds: float) -> None:
        start = time.time()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.time()))
            await self.say(self.clients[i % STEADY_SENDERS], f"s:{i}:{time.time():.6f}")

    async def burst(self, messages: int) -> float:
        bursting = self.clients[STEADY_SENDERS:]
        started = time.time()
        await asyncio.gather(
            *(
                self.say(bursting[n % len(bursting)], f"b:{n}:{time.time():.6f}")
                for n in range(messages)
            )
        )
        return started

    async def leave(self) -> None:
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--rate", type=float, default=10, help="chat messages per second")
    parser.add_argument("--seconds", type=float, default=30, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=200, help="messages sent at once")
    parser.add_argument("--deflate", action="store_true", help="clients offer permessage-deflate")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    # a timeout's SIGTERM still drops the database and stops the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    burst_senders = max(1, -(-args.burst // BURST_PER_SENDER))
    database = Database.create("kakawari_bench")
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="kakawari-live-bench-"))
    procs = []
    try:
        database.migrate()
        app = setup_app(database.url, workdir / "instance")
        people = make_people(app, args.clients + STEADY_SENDERS + burst_senders, "bench")
        session_id = make_open_room(app, people, bulk=True)
        # gunicorn's gevent worker takes 1,000 connections by default: the room needs more
        server = LiveServer(
            database.url,
            workdir,
            workers=1,
            env={"GUNICORN_CMD_ARGS": f"--worker-connections {args.clients + 1000}"},
        )
        server.start()
        (worker_pid,) = [int(p.name) for p in (workdir / f"ready-{server.port}").iterdir()]
        url = f"http://127.0.0.1:{server.port}"
        print(
            f"{args.clients} clients in {args.procs} processes, one gunicorn -k gevent -w 1 "
            f"worker (pid {worker_pid}), deflate offered: {'yes' if args.deflate else 'no'}"
        )

        swarm_tokens = [p.token for p in people[: args.clients]]
        sender_tokens = [p.token for p in people[args.clients :]]
        context = multiprocessing.get_context("spawn")
        pipes = []
        started = time.perf_counter()
        for i in range(args.procs):
            mine, theirs = context.Pipe()
            proc = context.Process(
                target=swarm_process,
                args=(url, swarm_tokens[i :: args.procs], session_id, args.deflate, theirs),
                daemon=True,
            )
            proc.start()
            procs.append(proc)
            pipes.append(mine)
        joins, failures = [], []
        for pipe in pipes:
            _, durations, errors = pipe.recv()
            joins += durations
            failures += errors
        connect_wall = time.perf_counter() - started
        print(
            f"connect + join: {len(joins)} clients in {connect_wall:.1f} s "
            f"(per client p50 {statistics.median(joins) * 1000:.0f} ms, "
            f"p99 {percentile(joins, 99) * 1000:.0f} ms), failed {len(failures)}"
            + (f": {failures[:3]}" if failures else "")
        )
        time.sleep(5)  # let the join storm's presence broadcasts drain

        loop = asyncio.new_event_loop()
        senders = Senders(url, session_id, args.deflate)
        loop.run_until_complete(senders.join(sender_tokens))
        loop.run_until_complete(senders.steady(args.rate, args.seconds))
        loop.run_until_complete(asyncio.sleep(3))
        for pipe in pipes:
            pipe.send("mark")
            pipe.recv()
        cpu_before = proc_cpu_seconds(worker_pid)
        burst_started = loop.run_until_complete(senders.burst(args.burst))
        expected = args.burst * len(joins)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            got = 0
            for pipe in pipes:
                pipe.send("count")
                got += pipe.recv()
            if got >= expected:
                break
            time.sleep(0.5)
        server_cpu = proc_cpu_seconds(worker_pid) - cpu_before
        received, client_cpu = [], []
        for pipe in pipes:
            pipe.send("stop")
            texts, cpu = pipe.recv()
            received += texts
            client_cpu.append(cpu)
        loop.run_until_complete(senders.leave())
        loop.close()

        steady = [(t, at) for t, at in received if t.startswith("s:")]
        latencies = [at - float(t.rsplit(":", 1)[1]) for t, at in steady]
        sent = int(args.rate * args.seconds)
        print(
            f"chat at {args.rate:g} msg/s for {args.seconds:g} s: {len(steady)} of "
            f"{sent * len(joins)} deliveries, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms; refused sends: {dict(Counter(senders.refused))}"
        )
        bursts = [at for t, at in received if t.startswith("b:")]
        span = max(bursts) - burst_started
        print(
            f"burst: {args.burst} messages -> {len(bursts)} of {expected} deliveries in "
            f"{span:.2f} s = {len(bursts) / span:,.0f} deliveries/s "
            f"(server CPU {server_cpu / span:.0%} of a core, busiest client process "
            f"{max(client_cpu) / span:.0%})"
        )
        print(f"server worker RSS {proc_rss_mb(worker_pid):.0f} MB")
        if args.json:
            figures = {
                "clients": args.clients,
                "joined": len(joins),
                "join_failures": len(failures),
                "connect_wall_s": round(connect_wall, 1),
                "join_p99_ms": round(percentile(joins, 99) * 1000),
                "chat_rate": args.rate,
                "chat_deliveries": len(steady),
                "chat_expected": sent * len(joins),
                "chat_p50_ms": round(percentile(latencies, 50) * 1000),
                "chat_p99_ms": round(percentile(latencies, 99) * 1000),
                "burst_deliveries_per_s": round(len(bursts) / span),
                "server_rss_mb": round(proc_rss_mb(worker_pid)),
            }
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():  # interrupted while it waited for a command
                proc.kill()
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
