#!/usr/bin/env python3
"""Two builds of sextant side by side, alternating in one run: wrk on GET /health, and POST /correlation
with 2,520 x 1,000 returns sent as data_base64 (end to end, the median of 3 requests per round). Prints
each round and the medians of before/after; a ratio above 1 means the second build is faster.

    /usr/bin/python3 bench/net/compare_builds.py BEFORE/sextant AFTER/sextant [rounds]
"""
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

import numpy as np

before, after = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rng = np.random.default_rng(1)
x = rng.standard_normal((2520, 1000)) * 0.01
body = json.dumps({"returns": {"rows": 2520, "cols": 1000,
                               "data_base64": base64.b64encode(x.astype("<f8").tobytes()).decode()},
                   "matrix_format": "base64"}).encode()


def start(binary, offset):
    env = dict(os.environ, XDG_CACHE_HOME=f"/tmp/compare-cache-{offset}")
    p = subprocess.Popen([binary, "serve", "--engines", "analytics,stream", "--port-offset", str(offset)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    for line in p.stdout:
        if line.startswith("ready"):
            return p
    raise SystemExit(f"{binary} did not start")


def wrk(port):
    out = subprocess.run(["wrk", "-t1", "-c8", "-d3s", f"http://127.0.0.1:{port}/health"], capture_output=True,
                         text=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def correlation(port):
    t = time.perf_counter()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/correlation", body, {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    return (time.perf_counter() - t) * 1e3


servers = {"before": (start(before, 2000), 2000), "after": (start(after, 3000), 3000)}
rps = {"before": [], "after": []}
ms = {"before": [], "after": []}
try:
    for name in servers:
        correlation(8100 + servers[name][1])  # warm-up
    for r in range(rounds):
        for name in (["before", "after"] if r % 2 == 0 else ["after", "before"]):
            off = servers[name][1]
            rps[name].append(wrk(8600 + off))
            time.sleep(0.5)  # wrk's connections wind down first
            ms[name].append(statistics.median(correlation(8100 + off) for _ in range(3)))
        print(f"round {r}: /health req/s before {rps['before'][-1]:.0f} after {rps['after'][-1]:.0f}; "
              f"/correlation ms before {ms['before'][-1]:.0f} after {ms['after'][-1]:.0f}", flush=True)
finally:
    for p, _ in servers.values():
        p.terminate()
        p.wait()
print(f"/health wrk req/s: before {statistics.median(rps['before']):.0f}, after {statistics.median(rps['after']):.0f}, "
      f"median ratio after/before {statistics.median(a / b for a, b in zip(rps['after'], rps['before'])):.3f}")
print(f"/correlation 2520x1000 base64 ms: before {statistics.median(ms['before']):.0f}, after {statistics.median(ms['after']):.0f}, "
      f"median ratio before/after {statistics.median(b / a for a, b in zip(ms['after'], ms['before'])):.3f}")
