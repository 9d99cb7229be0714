#!/usr/bin/env python3
"""Portfolio optimisation: Sextant vs scipy.optimize.minimize(method="SLSQP"), the original's solver.

Same problems, same run, alternating rounds, median ratios (issue 4):
  - long-only min-variance, n = 500, covariance of 1,000 days;
  - a 50-point long-only frontier, n = 100 (targets from the min-variance return to the highest mean;
    both sides use the same 50 target returns;
    SLSQP warm-starts each point from the previous one, as a careful user would).
SLSQP runs with ftol 1e-12 so that both sides reach the optimum; Sextant's objective must be at least
as good (within 1e-9 relative).

    scripts/setup --peers
    cmake --preset bench && cmake --build --preset bench --target portfolio_peer
    /usr/bin/python3 bench/peers/portfolio/portfolio_peer.py build/bench/bench/portfolio_peer [rounds]
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(5)


def panel(t, n):
    beta = 0.4 + 1.2 * rng.random(n)
    vol = 0.006 + 0.024 * rng.random(n)
    drift = 0.0008 * (rng.random(n) - 0.3)
    f = 0.01 * rng.standard_normal((t, 1))
    return drift + beta * f + vol * rng.standard_normal((t, n))


def problem(n):
    x = panel(1000, n)
    return x.mean(axis=0), np.cov(x, rowvar=False)


mu1, cov1 = problem(500)
mu2, cov2 = problem(100)


def slsqp(cov, x0, extra=()):
    n = len(x0)
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(n)}, *extra]
    res = minimize(lambda w: w @ cov @ w, x0, jac=lambda w: 2 * cov @ w, method="SLSQP",
                   bounds=[(0.0, 1.0)] * n, constraints=cons, options={"ftol": 1e-12, "maxiter": 2000})
    return res.x


def scipy_minvar():
    return slsqp(cov1, np.full(len(mu1), 1 / len(mu1)))


def scipy_frontier(targets):
    n = len(mu2)
    w = slsqp(cov2, np.full(n, 1 / n))
    out = []
    for target in targets:
        eq = {"type": "eq", "fun": lambda v, t=target: v @ mu2 - t, "jac": lambda v: mu2}
        w = slsqp(cov2, w, (eq,))
        out.append((w @ cov2 @ w, w @ mu2))
    return out


with tempfile.TemporaryDirectory() as d:
    for name, mu, cov in (("minvar", mu1, cov1), ("frontier", mu2, cov2)):
        mu.astype(np.float64).tofile(f"{d}/{name}_mu.bin")
        np.ascontiguousarray(cov).tofile(f"{d}/{name}_cov.bin")
    ratios = {"min_variance": [], "frontier": []}
    for r in range(rounds):
        out = json.loads(subprocess.run([binary, d, "500", "100", "5"], check=True, capture_output=True, text=True).stdout)
        t0 = time.perf_counter(); w_sc = scipy_minvar(); t_mv = time.perf_counter() - t0
        # The same targets on both sides: Sextant's (min-variance return .. highest mean, 50 points).
        t0 = time.perf_counter(); f_sc = scipy_frontier(out["frontier"]["return"]); t_fr = time.perf_counter() - t0
        v_sc = w_sc @ cov1 @ w_sc
        v_sx = out["min_variance"]["variance"]
        assert v_sx <= v_sc * (1 + 1e-9), f"min-variance objective worse: {v_sx} vs {v_sc}"
        for k, (v, _) in enumerate(f_sc):
            assert out["frontier"]["variance"][k] <= v * (1 + 1e-9) + 1e-18, f"frontier point {k} worse"
        ratios["min_variance"].append(t_mv / out["min_variance"]["seconds"])
        ratios["frontier"].append(t_fr / out["frontier"]["seconds"])
        print(f"round {r}: min-variance scipy {t_mv * 1e3:.1f} ms, sextant {out['min_variance']['seconds'] * 1e3:.2f} ms "
              f"(variance {v_sx:.12g} vs scipy {v_sc:.12g}); frontier scipy {t_fr * 1e3:.1f} ms, "
              f"sextant {out['frontier']['seconds'] * 1e3:.2f} ms")
    for k, v in ratios.items():
        print(f"{k}: median speed-up vs scipy SLSQP {statistics.median(v):.1f}x over {rounds} rounds")
