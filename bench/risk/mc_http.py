#!/usr/bin/env python3
# Monte Carlo VaR over HTTP: POSTs one /calculate-var request (1,000 days x 500 assets, monte_carlo
# with decomposition) three times to each risk port given, printing backend, time and the VaR.
#   build/release/sextant serve & SME_ACCELERATION=cpu build/release/sextant serve --port-offset 1000 &
#   python3 bench/risk/mc_http.py 1000000 8200 9200
import json, random, sys, time, urllib.request
rng = random.Random(3)
t, n = 1000, 500
beta = [0.5 + 0.5 * abs(rng.gauss(0, 1)) for _ in range(n)]
x = []
for _ in range(t):
    m = 0.01 * rng.gauss(0, 1)
    x.append([b * m + 0.015 * rng.gauss(0, 1) for b in beta])
body = json.dumps({"returns": x, "weights": [1.0 / n] * n, "confidence_levels": [0.99],
                   "methods": ["monte_carlo"], "simulations": int(sys.argv[1]), "seed": 42, "decompose": True}).encode()
for port in sys.argv[2:]:
    for _ in range(120):  # wait for the engine to listen
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    for rep in range(3):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/calculate-var", data=body,
                                     headers={"Content-Type": "application/json"})
        t0 = time.perf_counter()
        r = json.load(urllib.request.urlopen(req, timeout=120))
        wall = 1e3 * (time.perf_counter() - t0)
        mc = r["results"]["0.99"]["monte_carlo"]
        print(f"port {port} rep {rep}: backend={r['backend']} calc={r['calculation_time_ms']:.1f} ms wall={wall:.1f} ms "
              f"var={mc['var']!r} es={mc['es']!r} sum(component_var)-var={sum(mc['component_var']) - mc['var']:.2e}", flush=True)
