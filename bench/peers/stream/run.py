#!/usr/bin/env python3
"""The stream benchmarks of issue 9 (docs/performance.md): Sextant's WebSocket hub against a node `ws`
server given the same load, in the same run, alternating, and the median of the rounds.

  fan-out  1,000 clients x 10 topics of 1,000; a bar per topic every 100 ms (100,000 deliveries/s);
           delivery latency p50/p99 (now - the message's ts_ns) and deliveries/s.
  capacity the same clients with a bar per topic every 25 ms (400,000 deliveries/s offered): the
           deliveries/s each server sustains, i.e. its throughput under the same load.
  echo     500 connections, one 512-byte message in flight each; echoes/s and echoes per server CPU-second.

Sextant runs `sextant serve --engines stream` with the simulator (1,000 instruments, 100 ms bars), with
all I/O threads (2 here) and with --threads 1. Usage (after `cmake --build --preset bench --target ws_load`
and `cmake --build --preset release --target sextant`; npm ci in bench/peers/stream):
  python3 bench/peers/stream/run.py [rounds]
"""
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SEXTANT = os.path.join(ROOT, "build", "release", "sextant")
LOAD = os.path.join(ROOT, "build", "bench", "bench", "ws_load")
PEER = os.path.join(ROOT, "bench", "peers", "stream", "ws_peer.mjs")
CLIENTS, TOPICS_PER_CLIENT, TOPICS, SECONDS = 1000, 10, 1000, 10
# A bar per topic every INTERVAL_MS: 100 ms offers the 100,000 deliveries/s, 200 ms half that.
INTERVAL_MS = int(os.environ.get("INTERVAL_MS", "100"))
CAPACITY_INTERVAL_MS = 25
ECHO_CLIENTS = 500


def start_sextant(threads, interval_ms):
    offset = 10000 + random.randrange(400) * 100
    args = [SEXTANT, "serve", "--engines", "stream", "--port-offset", str(offset), "--threads", str(threads),
            "--market-data", "sim", "--sim-instruments", str(TOPICS), "--bar-interval-ms", str(interval_ms),
            "--sim-history", "0", "--sim-stagger", "true"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.startswith("ready"):
            return p, 8600 + offset
    raise RuntimeError("sextant did not start")


def start_node(interval_ms):
    port = 30000 + random.randrange(10000)
    p = subprocess.Popen(["node", PEER, str(port), str(TOPICS), str(interval_ms)], stdout=subprocess.PIPE, text=True,
                         cwd=os.path.dirname(PEER))
    for line in p.stdout:
        if line.startswith("ready"):
            return p, port
    raise RuntimeError("node peer did not start")


def load(*args):
    out = subprocess.run([LOAD, *map(str, args)], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


def one(kind, server):
    interval = CAPACITY_INTERVAL_MS if kind == "capacity" else INTERVAL_MS
    p, port = start_sextant(server, interval) if isinstance(server, int) else start_node(interval)
    try:
        time.sleep(1)
        if kind in ("fanout", "capacity"):
            return load("fanout", port, "/ws", CLIENTS, TOPICS_PER_CLIENT, TOPICS, SECONDS)
        return load("echo", port, "/ws/echo", ECHO_CLIENTS, SECONDS, p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    servers = [("sextant (2 I/O threads)", 2), ("sextant (1 I/O thread)", 1), ("node ws", "node")]
    kinds = ("fanout", "capacity", "echo")
    results = {(k, name): [] for k in kinds for name, _ in servers}
    for r in range(rounds):
        for kind in kinds:
            for name, server in (servers if r % 2 == 0 else list(reversed(servers))):
                res = one(kind, server)
                results[(kind, name)].append(res)
                print(f"round {r + 1} {kind:6} {name:24} {json.dumps(res)}", flush=True)
    print()
    med = lambda kind, name, key: statistics.median(x[key] for x in results[(kind, name)])
    for name, _ in servers:
        print(f"fanout {name:24} deliveries/s {med('fanout', name, 'deliveries_per_s'):>9.0f}  "
              f"p50 {med('fanout', name, 'p50_ms'):7.2f} ms  p99 {med('fanout', name, 'p99_ms'):7.2f} ms")
    for name, _ in servers:
        print(f"capacity {name:22} deliveries/s {med('capacity', name, 'deliveries_per_s'):>9.0f}")
    for name, _ in servers:
        print(f"echo   {name:24} echoes/s {med('echo', name, 'echoes_per_s'):>9.0f}  "
              f"per server CPU-second {med('echo', name, 'echoes_per_cpu_s'):>9.0f}")
    node = "node ws"
    for name, _ in servers[:2]:
        ratios = [a["echoes_per_cpu_s"] / b["echoes_per_cpu_s"] for a, b in zip(results[("echo", name)], results[("echo", node)])]
        tput = [a["echoes_per_s"] / b["echoes_per_s"] for a, b in zip(results[("echo", name)], results[("echo", node)])]
        p99 = [b["p99_ms"] / a["p99_ms"] for a, b in zip(results[("fanout", name)], results[("fanout", node)])]
        cap = [a["deliveries_per_s"] / b["deliveries_per_s"] for a, b in zip(results[("capacity", name)], results[("capacity", node)])]
        print(f"{name} vs node ws: fan-out throughput x{statistics.median(cap):.2f}, echo throughput x{statistics.median(tput):.2f}, "
              f"per CPU-second x{statistics.median(ratios):.2f}, fan-out p99 latency x{statistics.median(p99):.2f} lower")


if __name__ == "__main__":
    main()
