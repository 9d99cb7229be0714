#!/usr/bin/env python3
"""Correlation of a 2,520 x 1,000 return panel: Sextant vs numpy corrcoef vs pandas DataFrame.corr.

Rounds alternate the peers in one session; each round times numpy (5 runs), Sextant fp64 and fp32
(5 runs each, timed inside its process after a warm-up) and pandas (1 run, it takes seconds).
Reported: the median of each peer's per-run times and the ratios of those medians. Every result is
checked against numpy: fp64 to 1e-12, fp32 to 1e-5 (its measured deviation is reported).

    scripts/setup --peers
    cmake --preset bench && cmake --build --preset bench --target correlation_peer
    /usr/bin/python3 bench/peers/analytics/correlation.py build/bench/bench/correlation_peer [rounds]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import timed  # noqa: E402  (bench/peers/timing.py)

T, N = 2520, 1000
binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5

rng = np.random.default_rng(42)
market = 0.01 * rng.standard_normal((T, 1))
panel = np.ascontiguousarray(0.8 * market + 0.012 * rng.standard_normal((T, N)))
want = np.corrcoef(panel, rowvar=False)

with tempfile.TemporaryDirectory() as tmp:
    panel.tofile(f"{tmp}/panel.f64")

    deviation = {}

    def sextant(iterations, precision):
        out = subprocess.run([binary, f"{tmp}/panel.f64", str(T), str(N), str(iterations), f"{tmp}/result.f64",
                              precision], check=True, capture_output=True, text=True).stdout
        got = np.fromfile(f"{tmp}/result.f64").reshape(N, N)
        err = np.abs(got - want).max()
        assert err < (1e-12 if precision == "fp64" else 1e-5), f"sextant {precision} disagrees: max |diff| {err}"
        deviation[precision] = float(err)
        return json.loads(out)

    frame = pd.DataFrame(panel)
    _, got_pd = timed(lambda: frame.corr(), 1)
    assert np.abs(got_pd.values - want).max() < 1e-12, "pandas disagrees with numpy"
    times = {"numpy": [], "sextant": [], "sextant_fp32": [], "pandas": []}
    for r in range(rounds):
        times["numpy"] += timed(lambda: np.corrcoef(panel, rowvar=False), 5)[0]
        times["sextant"] += sextant(5, "fp64")
        times["sextant_fp32"] += sextant(5, "fp32")
        times["pandas"] += timed(lambda: frame.corr(), 1)[0]
        print(f"round {r + 1}/{rounds}: numpy {statistics.median(times['numpy']):.1f} ms, "
              f"sextant {statistics.median(times['sextant']):.1f} ms, "
              f"sextant fp32 {statistics.median(times['sextant_fp32']):.1f} ms, pandas {statistics.median(times['pandas']):.0f} ms",
              flush=True)

med = {k: statistics.median(v) for k, v in times.items()}
report = {
    "workload": f"correlation of {T} x {N} float64 returns",
    "median_ms": med,
    "sextant_vs_numpy": med["numpy"] / med["sextant"],
    "sextant_vs_pandas": med["pandas"] / med["sextant"],
    "sextant_fp32_vs_numpy": med["numpy"] / med["sextant_fp32"],
    "sextant_fp32_vs_pandas": med["pandas"] / med["sextant_fp32"],
    "max_abs_deviation_from_numpy": deviation,
    "runs": {k: len(v) for k, v in times.items()},
    "numpy": np.__version__,
    "pandas": pd.__version__,
    "numpy_blas": os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu"),
}
print(json.dumps(report, indent=1))
