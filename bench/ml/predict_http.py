#!/usr/bin/env python3
"""POST /predict over HTTP with one client on one keep-alive connection: the golden 200-tree S&P 500
regressor, 5,000 requests after 500 of warm-up, latency percentiles as the client sees them (issue 8).

    cmake --build --preset release --target sextant
    /usr/bin/python3 bench/ml/predict_http.py
"""
import http.client
import json
import os
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "data", "golden"))
OFFSET = 3700

with tempfile.TemporaryDirectory() as models:
    p = subprocess.Popen(["build/release/sextant", "serve", "--engines", "ml", "--port-offset", str(OFFSET), "--models-dir", models],
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("ready"):
            break
    try:
        conn = http.client.HTTPConnection("127.0.0.1", 8400 + OFFSET)
        model = open(os.path.join(GOLDEN, "sp500_xgb_regressor.json")).read()
        conn.request("POST", "/models", '{"id":"reg","kind":"xgboost","model":' + model + "}", {"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 201, r.read()
        r.read()
        rows = json.load(open(os.path.join(GOLDEN, "sp500_xgb_cases.json")))["test_inputs"]
        bodies = [json.dumps({"model_id": "reg", "input": row}) for row in rows]
        ms, server_ms = [], []
        for i in range(5500):
            t = time.perf_counter()
            conn.request("POST", "/predict", bodies[i % len(bodies)], {"Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            if i >= 500:
                ms.append((time.perf_counter() - t) * 1e3)
                server_ms.append(json.loads(body)["inference_time_ms"])
        ms.sort()
        server_ms.sort()
        q = lambda v, f: v[min(len(v) - 1, int(len(v) * f))]
        print(f"{len(ms)} POST /predict, one client, keep-alive: p50 {q(ms, 0.5):.3f} ms, p99 {q(ms, 0.99):.3f} ms, max {ms[-1]:.3f} ms; "
              f"inference_time_ms p50 {q(server_ms, 0.5) * 1e3:.2f} us, p99 {q(server_ms, 0.99) * 1e3:.2f} us")
    finally:
        p.terminate()
