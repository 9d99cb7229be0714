#!/usr/bin/env python3
"""Rolling statistics of a 2,520 x 1,000 return panel: Sextant vs pandas DataFrame.rolling.

For each statistic and window (20 and 252 rows), rounds alternate pandas (3 runs) and Sextant
(3 runs, timed inside its process after a warm-up); reported are the median per-call times and their
ratio. 0.1% of the panel is NaN (pandas skips them; so does Sextant). Every Sextant result is checked
against pandas first: NaN in the same cells, values within 1e-12 x max(1, |pandas|) (skew and kurt,
which pandas computes from running power sums, within 1e-8).

    scripts/setup --peers
    cmake --preset bench && cmake --build --preset bench --target rolling_peer
    /usr/bin/python3 bench/peers/analytics/rolling.py build/bench/bench/rolling_peer [rounds] [stat ...]
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
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
stats = sys.argv[3:] or ["mean", "sum", "std", "var", "zscore", "min", "max", "median", "quantile", "rank",
                         "skew", "kurt", "ema"]

rng = np.random.default_rng(7)
market = 0.01 * rng.standard_normal((T, 1))
panel = np.ascontiguousarray(0.0003 + 0.8 * market + 0.012 * rng.standard_normal((T, N)))
panel[rng.random((T, N)) < 0.001] = np.nan
frame = pd.DataFrame(panel)


def pandas_stat(stat, window):
    r = frame.rolling(window)
    if stat == "quantile":
        return r.quantile(0.25)
    if stat == "zscore":
        return (frame - r.mean()) / r.std()
    if stat == "ema":
        return frame.ewm(span=window, adjust=False, min_periods=window, ignore_na=True).mean()
    return getattr(r, stat)()


report = {}
with tempfile.TemporaryDirectory() as tmp:
    panel.tofile(f"{tmp}/panel.f64")
    for stat in stats:
        for window in (20, 252):
            times = {"pandas": [], "sextant": []}
            worst = 0.0
            for _ in range(rounds):
                ms, want = timed(lambda: pandas_stat(stat, window), 3)
                times["pandas"] += ms
                out = subprocess.run([binary, f"{tmp}/panel.f64", str(T), str(N), stat, str(window), "3",
                                      f"{tmp}/result.f64"], check=True, capture_output=True, text=True).stdout
                times["sextant"] += json.loads(out)
                got = np.fromfile(f"{tmp}/result.f64").reshape(T, N)
                want = want.values
                assert (np.isnan(got) == np.isnan(want)).all(), f"{stat}({window}): NaN cells differ"
                ok = ~np.isnan(want)
                err = np.abs(got[ok] - want[ok]) / np.maximum(1.0, np.abs(want[ok]))
                worst = max(worst, float(err.max()) if err.size else 0.0)
            tol = 1e-8 if stat in ("skew", "kurt") else 1e-12
            assert worst <= tol, f"{stat}({window}): deviation {worst:.3g} from pandas"
            med = {k: statistics.median(v) for k, v in times.items()}
            report[f"{stat}({window})"] = {"pandas_ms": round(med["pandas"], 3), "sextant_ms": round(med["sextant"], 3),
                                           "ratio": round(med["pandas"] / med["sextant"], 2), "deviation": worst}
            print(f"{stat}({window}): {report[f'{stat}({window})']}", flush=True)

print(json.dumps({"workload": f"rolling statistics of {T} x {N} float64 returns", "results": report,
                  "pandas": pd.__version__, "numpy": np.__version__}, indent=1))
