"""Live room load: N websocket clients in one room on `gunicorn -k gevent -w 1` (or --workers N).

    .venv/bin/python bench/live_room.py --clients 1000

Makes a throwaway PostgreSQL database (dropped afterwards), N participants with API tokens
registered online for a session whose room is open, and starts the server. The clients
(`socketio.AsyncClient`, websocket transport) are split over several processes so the swarm is
not the bottleneck; separate sender clients then chat at a steady rate, then all at once.
Prints the time to connect and join, the delivery latency at the steady rate (p50/p99 over
every delivery) and the deliveries per second of the burst. Target on a 2-core machine:
1,000 clients, p99 under 200 ms at 10 messages/s.

--deflate makes every client offer permessage-deflate as browsers do (the server must decline).
--peer runs the same clients against bench/peers/socketio_relay.js (Node, socket.io 4.8 from
npm) after Kakawari, --rounds times, and prints medians and the ratios Kakawari / Node. The
clients join evenly spread over --join-within seconds (10), each timed from its own start.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.peers.machine import cpu_model  # noqa: E402
from tests.concurrency.live import (  # noqa: E402
    Database,
    LiveServer,
    cpu_check,
    make_people,
    percentile,
    setup_app,
)
from tests.live.test_two_processes import make_open_room  # noqa: E402

STEADY_SENDERS = 40  # each sends well under the 5-per-10-s limit at 10 messages/s
BURST_PER_SENDER = 4
RELAY = ROOT / "bench" / "peers" / "socketio_relay.js"


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


async def _swarm(url, tokens, offsets, session_id, deflate, pipe):
    import socketio

    received: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    # the clock starts when every process is loaded: the parent sends the common start time
    pipe.send("loaded")
    t0 = await loop.run_in_executor(None, pipe.recv)
    due = [t0 + offset for offset in offsets]

    async def one(token, at):
        client = socketio.AsyncClient(**client_options(deflate))

        async def on_chat(data):
            received.append((data["text"], time.time()))

        client.on("chat", on_chat, namespace="/live")
        # each client leaves at its own moment; its join time runs from that moment to the
        # join's answer, so a server that falls behind shows its queue
        await asyncio.sleep(max(0.0, at - time.time()))
        started = time.time()
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
        return client, time.time() - started, None

    results = await asyncio.gather(*(one(t, at) for t, at in zip(tokens, due, strict=True)))
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


def swarm_process(url, tokens, offsets, session_id, deflate, pipe):
    asyncio.run(_swarm(url, tokens, offsets, session_id, deflate, pipe))


# --- the server's side -----------------------------------------------------------------------


def proc_cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes (the server's workers)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pids) -> float:
    total = 0.0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


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


class NodeRelay:
    """The peer: bench/peers/socketio_relay.js (socket.io 4.8 from npm) on a free port, in its
    own process group; always stopped."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self) -> "NodeRelay":
        if not (ROOT / "node_modules" / "socket.io").is_dir():
            raise RuntimeError("socket.io is not installed: run `npm ci` first")
        self.process = subprocess.Popen(
            ["node", str(RELAY), "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.__exit__()
            raise RuntimeError(f"the Node relay did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)

    @property
    def pid(self) -> int:
        return self.process.pid


def measure(name, url, server_pids, session_id, swarm_tokens, sender_tokens, args) -> dict:
    """The same clients for either server: N clients join (paced over --join-within seconds),
    senders chat at --rate for --seconds, then --burst messages at once."""
    print(
        f"--- {name}: {len(swarm_tokens)} clients in {args.procs} processes "
        f"(server pids {server_pids})"
    )
    context = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    # every client starts at its own moment of the --join-within window, whatever process it
    # is in (client i at t0 + i * within / N); t0 is set once every process has loaded
    spacing = args.join_within / max(1, len(swarm_tokens))
    try:
        for i in range(args.procs):
            mine, theirs = context.Pipe()
            mine_tokens = swarm_tokens[i :: args.procs]
            offsets = [(i + j * args.procs) * spacing for j in range(len(mine_tokens))]
            proc = context.Process(
                target=swarm_process,
                args=(url, mine_tokens, offsets, session_id, args.deflate, theirs),
                daemon=True,
            )
            proc.start()
            procs.append(proc)
            pipes.append(mine)
        for pipe in pipes:
            assert pipe.recv() == "loaded"
        t0 = time.time() + 0.5
        join_cpu = proc_cpu_seconds(server_pids)
        for pipe in pipes:
            pipe.send(t0)
        joins, failures = [], []
        for pipe in pipes:
            _, durations, errors = pipe.recv()
            joins += durations
            failures += errors
        window = time.time() - t0
        join_cpu = proc_cpu_seconds(server_pids) - join_cpu
        print(
            f"connect + join: {len(joins)} clients, the last answered {window:.1f} s after the "
            f"first left (paced over {args.join_within:g} s); per client p50 "
            f"{statistics.median(joins) * 1000:.0f} ms, p99 {percentile(joins, 99) * 1000:.0f} ms, "
            f"failed {len(failures)}" + (f": {failures[:3]}" if failures else "")
        )
        print(f"server CPU while joining: {join_cpu * 1000 / max(1, len(joins)):.1f} ms per join")
        time.sleep(5)  # let the join storm's presence broadcasts drain

        loop = asyncio.new_event_loop()
        senders = Senders(url, session_id, args.deflate)
        loop.run_until_complete(senders.join(sender_tokens))
        loop.run_until_complete(senders.steady(args.rate, args.seconds))
        loop.run_until_complete(asyncio.sleep(3))
        for pipe in pipes:
            pipe.send("mark")
            pipe.recv()
        cpu_before = proc_cpu_seconds(server_pids)
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
        server_cpu = proc_cpu_seconds(server_pids) - cpu_before
        received, client_cpu = [], []
        for pipe in pipes:
            pipe.send("stop")
            texts, cpu = pipe.recv()
            received += texts
            client_cpu.append(cpu)
        loop.run_until_complete(senders.leave())
        loop.close()
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():  # interrupted while it waited for a command
                proc.kill()

    steady = [(t, at) for t, at in received if t.startswith("s:")]
    latencies = [at - float(t.rsplit(":", 1)[1]) for t, at in steady]
    sent = int(args.rate * args.seconds)
    print(
        f"chat at {args.rate:g} msg/s for {args.seconds:g} s: {len(steady)} of "
        f"{sent * len(joins)} deliveries, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms, "
        f"max {max(latencies, default=float('nan')) * 1000:.0f} ms; "
        f"refused sends: {dict(Counter(senders.refused))}"
    )
    bursts = [at for t, at in received if t.startswith("b:")]
    span = max(bursts, default=burst_started + 1) - burst_started
    print(
        f"burst: {args.burst} messages -> {len(bursts)} of {expected} deliveries in "
        f"{span:.2f} s = {len(bursts) / span:,.0f} deliveries/s "
        f"(server CPU {server_cpu / span:.0%} of a core, busiest client process "
        f"{max(client_cpu) / span:.0%})"
    )
    print(f"server RSS {proc_rss_mb(server_pids):.0f} MB")
    return {
        "clients": len(swarm_tokens),
        "joined": len(joins),
        "join_failures": len(failures),
        "connect_wall_s": round(window, 1),
        "join_p50_ms": round(statistics.median(joins) * 1000) if joins else None,
        "join_p99_ms": round(percentile(joins, 99) * 1000),
        "join_server_cpu_ms": round(join_cpu * 1000 / max(1, len(joins)), 2),
        "chat_rate": args.rate,
        "chat_deliveries": len(steady),
        "chat_expected": sent * len(joins),
        "chat_p50_ms": round(percentile(latencies, 50) * 1000),
        "chat_p99_ms": round(percentile(latencies, 99) * 1000),
        "burst_deliveries_per_s": round(len(bursts) / span),
        "burst_server_cpu_core": round(server_cpu / span, 2),
        "burst_server_cpu_ms_per_1000": round(server_cpu / max(1, len(bursts)) * 1e6, 1),
        "server_rss_mb": round(proc_rss_mb(server_pids)),
    }


def run_kakawari(args) -> dict:
    burst_senders = max(1, -(-args.burst // BURST_PER_SENDER))
    database = Database.create("kakawari_bench")
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="kakawari-live-bench-"))
    try:
        database.migrate()
        app = setup_app(database.url, workdir / "instance")
        people = make_people(app, args.clients + STEADY_SENDERS + burst_senders, "bench")
        session_id = make_open_room(app, people, bulk=True)
        # gunicorn's gevent worker takes 1,000 connections by default: the room needs more
        env = {"GUNICORN_CMD_ARGS": f"--worker-connections {args.clients + 1000}"}
        if args.workers > 1:  # the scale-out path: the processes share broadcasts via Redis
            env.update(REDIS_URL=args.redis, LIVE_CHANNEL=f"kakawari-bench-{workdir.name}")
        server = LiveServer(database.url, workdir, workers=args.workers, env=env)
        server.start()
        worker_pids = [int(p.name) for p in (workdir / f"ready-{server.port}").iterdir()]
        tokens = [p.token for p in people]
        figures = measure(
            f"Kakawari, gunicorn -k gevent -w {args.workers}"
            + (" with the Redis manager" if args.workers > 1 else ""),
            f"http://127.0.0.1:{server.port}",
            worker_pids,
            session_id,
            tokens[: args.clients],
            tokens[args.clients :],
            args,
        )
        if figures["join_failures"]:  # what the server said about them
            errors = [line for line in server.log().splitlines() if "Error" in line]
            print("server log, errors:", *errors[-8:], sep="\n  ")
        return figures
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_node(args) -> dict:
    burst_senders = max(1, -(-args.burst // BURST_PER_SENDER))
    tokens = [f"peer-{i}" for i in range(args.clients + STEADY_SENDERS + burst_senders)]
    with NodeRelay() as relay:
        version = subprocess.run(
            [
                "node",
                "-p",
                "process.version + ' socket.io ' + require('socket.io/package.json').version",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return measure(
            f"Node {version} relay (bench/peers/socketio_relay.js)",
            f"http://127.0.0.1:{relay.port}",
            [relay.pid],
            1,
            tokens[: args.clients],
            tokens[args.clients :],
            args,
        )


#: (figure, key, which way is better) of the comparison with the Node relay
COMPARED = [
    ("burst deliveries/s", "burst_deliveries_per_s", "higher"),
    ("steady p99 ms", "chat_p99_ms", "lower"),
    ("join p99 ms (of those answered)", "join_p99_ms", "lower"),
    ("joins failed", "join_failures", "lower"),
    ("server CPU ms per 1,000 deliveries", "burst_server_cpu_ms_per_1000", "lower"),
    ("server CPU ms per join (connect + join)", "join_server_cpu_ms", "lower"),
]


def compare(ours: list[dict], theirs: list[dict]) -> dict:
    """Medians over the rounds and Kakawari / Node for each figure."""
    table = {}
    print(f"\n{'live room, median of rounds':<36} {'Kakawari':>10} {'Node':>10} {'ratio':>7}")
    for figure, key, better in COMPARED:
        a = statistics.median(r[key] for r in ours)
        b = statistics.median(r[key] for r in theirs)
        ratio = a / b if b else (1.0 if a == b else float("inf"))
        table[key] = {"kakawari": a, "node": b, "ratio": round(ratio, 2), "better": better}
        print(f"{figure:<36} {a:>10,.1f} {b:>10,.1f} {ratio:>7.2f}  ({better} is better)")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--rate", type=float, default=10, help="chat messages per second")
    parser.add_argument("--seconds", type=float, default=30, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=200, help="messages sent at once")
    parser.add_argument(
        "--join-within",
        type=float,
        default=10,
        help="the clients start joining at even intervals over this many seconds (10)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Kakawari's gevent workers (more than one share broadcasts through Redis)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --workers > 1")
    parser.add_argument("--deflate", action="store_true", help="clients offer permessage-deflate")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run the same clients against the Node socket.io relay, interleaved",
    )
    parser.add_argument("--rounds", type=int, default=1, help="Kakawari, Node, ... (with --peer)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    # a timeout's SIGTERM still drops the database and stops the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    load_before = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs ({cpu_model()}), load average {load_before[0]:.2f}; "
        f"CPU check {cpu_check():.2f} s"
    )
    ours, theirs = [], []
    for _ in range(args.rounds if args.peer else 1):
        ours.append(run_kakawari(args))
        if args.peer:
            theirs.append(run_node(args))
    load_after = os.getloadavg()
    print(f"load average after {load_after[0]:.2f}; CPU check {cpu_check():.2f} s")
    figures = (
        dict(ours[-1])
        if not args.peer
        else {key: statistics.median(r[key] for r in ours) for key in ours[0]}
    )
    if args.peer:
        figures["peer"] = {key: statistics.median(r[key] for r in theirs) for key in theirs[0]}
        figures["ratios"] = compare(ours, theirs)
        for key, value in figures["ratios"].items():
            figures[f"node_{key}"] = value["node"]
            figures[f"vs_node_{key}"] = value["ratio"]
        figures["rounds"] = {"kakawari": ours, "node": theirs}
    figures["load_before"] = round(load_before[0], 2)
    figures["load_after"] = round(load_after[0], 2)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
