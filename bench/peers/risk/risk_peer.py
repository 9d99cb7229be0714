#!/usr/bin/env python3
"""Risk computations: Sextant vs numpy/scipy, same inputs, alternating rounds, median ratios.

Workloads (issue 3): Gaussian VaR+ES with the full decomposition for 1,000 assets (covariance given);
historical VaR+ES with decomposition on 2,520 x 1,000 (Sextant twice: calculate_var's full pass over
the panel, and historical_var on scenarios prepared once, whose preparation is timed too); Monte Carlo VaR with 100,000 scenarios x 500
assets; 10,000 pre-trade VaR-limit checks on a 500-asset book (numpy recomputes e'Σe' per order,
as a numpy user would). Answers are checked first (Monte Carlo within 2%: the generators differ).

    scripts/setup --peers
    cmake --preset bench && cmake --build --preset bench --target risk_peer
    /usr/bin/python3 bench/peers/risk/risk_peer.py build/bench/bench/risk_peer [rounds]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import timed  # noqa: E402  (bench/peers/timing.py)

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(3)


def panel(t, n):
    f = 0.01 * rng.standard_normal((t, 1))
    return np.ascontiguousarray(0.0002 + 0.8 * f + 0.012 * rng.standard_normal((t, n)))


X = panel(2520, 1000)
cov = np.cov(X, rowvar=False)
mu = X.mean(axis=0)
w = np.full(1000, 1e-3)
mc_cov = np.cov(panel(1000, 500), rowvar=False)
w5 = np.full(500, 1 / 500)
c = 0.99


def numpy_gaussian():
    sw = cov @ w
    sigma = np.sqrt(w @ sw)
    z = stats.norm.ppf(1 - c)
    var = -(w @ mu + z * sigma)
    es = -(w @ mu - sigma * stats.norm.pdf(z) / (1 - c))
    comp = -(w * mu + z * w * sw / sigma)
    return var, es, comp


def numpy_historical():
    rp = X @ w
    q = np.quantile(rp, 1 - c)
    tail = rp <= q
    comp_es = -(X[tail] * w).mean(axis=0)
    return -q, -rp[tail].mean(), comp_es


def numpy_mc():
    L = np.linalg.cholesky(mc_cov)
    s = rng.standard_normal((100000, 500)) @ L.T
    return -np.quantile(s @ w5, 0.01)


def numpy_pretrade():
    e = np.full(500, 100.0 * 50.0)
    z = -stats.norm.ppf(0.01)
    r = np.random.default_rng(1)
    for _ in range(10000):
        i = r.integers(500)
        d = float(r.integers(-100, 100)) * 50.0
        e2 = e.copy()
        e2[i] += d
        _ = z * np.sqrt(e2 @ mc_cov @ e2)


with tempfile.TemporaryDirectory() as d:
    for name, a in [("cov", cov), ("mu", mu), ("w1000", w), ("panel", X), ("mc_cov", mc_cov), ("w500", w5)]:
        np.ascontiguousarray(a).tofile(f"{d}/{name}.f64")
    times = {k: [] for k in ["numpy_gaussian", "numpy_historical", "numpy_mc", "numpy_pretrade",
                             "sextant_gaussian", "sextant_historical", "sextant_mc", "sextant_pretrade",
                             "sextant_historical_prepared", "sextant_prepare"]}
    for r in range(rounds):
        # Each side starts on a quiet machine: numpy's OpenBLAS threads spin for 2^28 cycles (~60 ms
        # here) after its last threaded call, and on 2 cores they would share them with Sextant's.
        time.sleep(0.3)
        times["numpy_gaussian"] += timed(numpy_gaussian, 20)[0]
        times["numpy_historical"] += timed(numpy_historical, 20)[0]
        times["numpy_mc"] += timed(numpy_mc, 1)[0]
        times["numpy_pretrade"] += timed(numpy_pretrade, 1)[0]
        time.sleep(0.3)
        subprocess.run([binary, d, "5"], check=True)
        s = json.load(open(f"{d}/sextant.json"))
        for k in ["gaussian", "historical", "mc"]:
            times[f"sextant_{k}"].append(s[f"{k}_ms"])
        times["sextant_pretrade"].append(s["pretrade_10k_ms"])
        times["sextant_historical_prepared"].append(s["prepared_ms"])
        times["sextant_prepare"].append(s["prepare_ms"])
        print(f"round {r + 1}/{rounds}", flush=True)
    gv, ge, gc = numpy_gaussian()
    hv, he, _ = numpy_historical()
    assert abs(s["gaussian_var"] - gv) <= 1e-10 * abs(gv) and abs(s["gaussian_es"] - ge) <= 1e-10 * abs(ge)
    assert abs(s["gaussian_component0"] - gc[0]) <= 1e-10 * abs(gc[0])
    assert abs(s["historical_var"] - hv) <= 1e-10 * abs(hv) and abs(s["historical_es"] - he) <= 1e-10 * abs(he)
    assert abs(s["prepared_var"] - hv) <= 1e-10 * abs(hv) and abs(s["prepared_es"] - he) <= 1e-10 * abs(he)
    mv = numpy_mc()
    assert abs(s["mc_var"] - mv) <= 0.02 * mv, (s["mc_var"], mv)

med = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({
    "median_ms": med,
    "ratio_gaussian": med["numpy_gaussian"] / med["sextant_gaussian"],
    "ratio_historical": med["numpy_historical"] / med["sextant_historical"],
    "ratio_historical_prepared": med["numpy_historical"] / med["sextant_historical_prepared"],
    "ratio_monte_carlo": med["numpy_mc"] / med["sextant_mc"],
    "ratio_pretrade": med["numpy_pretrade"] / med["sextant_pretrade"],
    "numpy": np.__version__,
}, indent=1))
