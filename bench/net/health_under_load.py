#!/usr/bin/env python3
"""/health on every port while two heavy requests (Kendall tau-b of 1,500 x 400, base64) run on the
analytics engine: latency percentiles over 4 s of back-to-back requests (issue 6, row 1).

    cmake --build --preset release --target sextant
    /usr/bin/python3 bench/net/health_under_load.py
"""
import base64, json, time, urllib.request, subprocess, os, statistics, threading
import numpy as np
x = np.random.default_rng(1).standard_normal((1500, 400)) * 0.01
body = json.dumps({"method": "kendall", "returns": {"rows": 1500, "cols": 400, "data_base64": base64.b64encode(x.astype("<f8").tobytes()).decode()}}).encode()
p = subprocess.Popen(["build/release/sextant", "serve", "--port-offset", "4000", "--request-timeout-ms", "8000"], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    if line.startswith("ready"): break
def heavy():
    try: urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:12100/correlation", body)).read()
    except Exception as e: pass
ts = [threading.Thread(target=heavy) for _ in range(2)]
for t in ts: t.start()
time.sleep(0.5)
ms = []
end = time.time() + 4
while time.time() < end:
    for port in (12100, 12200, 12400, 12500, 12600, 12900):
        t = time.perf_counter(); urllib.request.urlopen(f"http://127.0.0.1:{port}/health").read(); ms.append((time.perf_counter() - t) * 1e3)
alive = any(t.is_alive() for t in ts)
for t in ts: t.join()
p.terminate()
ms.sort()
print(f"{len(ms)} /health requests while two Kendall requests ran (still running at the end: {alive}): p50 {ms[len(ms)//2]:.2f} ms, p99 {ms[int(len(ms)*0.99)]:.2f} ms, max {ms[-1]:.2f} ms")
