#!/usr/bin/env python3
"""Large requests end to end: the same returns sent as JSON number text and as data_base64 (and, for
/covariance, the result asked back as base64 too); then historical VaR on 2,520 x 1,000 with the
returns sent each time (base64) against the same history stored once (PUT /scenario-sets/{name}).

Alternates the two forms for each request and prints median total and calculation_time_ms.

    build/release/sextant serve --engines risk,analytics &
    /usr/bin/python3 bench/net/large_request.py [rounds]
"""
import base64
import json
import statistics
import sys
import time
import urllib.request

import numpy as np

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(1)


def post(port, path, body, method="POST"):
    t = time.perf_counter()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", body, {"Content-Type": "application/json"},
                                 method=method)
    data = urllib.request.urlopen(req).read()
    return (time.perf_counter() - t) * 1e3, json.loads(data).get("calculation_time_ms")


# The base64 runs of /covariance also ask for the 1,000 x 1,000 result as base64 ("matrix_format").
cases = [(2520, 200, 8200, "/calculate-var", {"weights": [1 / 200] * 200, "methods": ["gaussian", "historical"]}, {}),
         (2520, 1000, 8100, "/covariance", {}, {"matrix_format": "base64"})]
for t, n, port, path, extra, b64_extra in cases:
    x = 0.01 * rng.standard_normal((t, n))
    text = json.dumps(dict({"returns": x.tolist()}, **extra)).encode()
    packed = {"rows": t, "cols": n, "data_base64": base64.b64encode(x.astype("<f8").tobytes()).decode()}
    b64 = json.dumps(dict({"returns": packed}, **extra, **b64_extra)).encode()
    runs = {"text": [], "base64": []}
    for _ in range(rounds):
        runs["text"].append(post(port, path, text))
        runs["base64"].append(post(port, path, b64))
    for form, body in (("text", text), ("base64", b64)):
        total = statistics.median(r[0] for r in runs[form])
        calc = statistics.median(r[1] for r in runs[form])
        print(f"{path} {t}x{n} {form:6s} body {len(body) / 1e6:5.1f} MB  total {total:6.0f} ms  calculation {calc:6.0f} ms")

x = 0.01 * rng.standard_normal((2520, 1000))
packed = {"rows": 2520, "cols": 1000, "data_base64": base64.b64encode(x.astype("<f8").tobytes()).decode()}
query = {"weights": [1e-3] * 1000, "methods": ["historical"], "confidence_levels": [0.99]}
sent = json.dumps(dict({"returns": packed}, **query)).encode()
put_ms = post(8200, "/scenario-sets/bench", json.dumps({"returns": packed}).encode(), "PUT")
stored = json.dumps(dict({"scenario_set": "bench"}, **query)).encode()
runs = {"sent": [], "stored": []}
for _ in range(max(rounds, 20)):
    runs["sent"].append(post(8200, "/calculate-var", sent))
    runs["stored"].append(post(8200, "/calculate-var", stored))
print(f"PUT /scenario-sets/bench 2520x1000 total {put_ms[0]:6.0f} ms  calculation {put_ms[1]:6.0f} ms")
for form, body in (("sent", sent), ("stored", stored)):
    total = statistics.median(r[0] for r in runs[form])
    calc = statistics.median(r[1] for r in runs[form])
    print(f"/calculate-var historical 2520x1000 {form:6s} body {len(body) / 1e6:5.1f} MB  total {total:7.2f} ms  "
          f"calculation {calc:6.3f} ms")
post(8200, "/scenario-sets/bench", b"", "DELETE")
