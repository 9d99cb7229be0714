#!/usr/bin/env python3
"""The features engine against the team's pandas reference (alpha_pandas.py).

1. Agreement, on real data: every value within 1e-9 x max(1, |pandas|), NaN in the same cells:
   - the S&P 500 file as one instrument: Alpha158, Alpha360 and the alphas that need no cross-section;
   - the S&P 500 file cut into 5 periods of 1,000 days (5 instruments): Alpha158, Alpha360, 24 alphas;
   - the Dow 30 closes (30 instruments): Alpha360's CLOSE and the close-only alphas.
2. Speed: Alpha158 on 500 instruments x 2,520 days (seeded random walks), pandas and Sextant
   alternating, `rounds` each; medians and their ratio, Sextant on one thread and on all.

    scripts/setup --peers
    cmake --preset bench && cmake --build --preset bench --target features_peer
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/features/features.py build/bench/bench/features_peer [rounds]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import alpha_pandas as ap  # noqa: E402

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
data = os.path.join(here, "..", "..", "..", "..", "shared", "data")
if not os.path.isdir(data):
    data = os.path.join(here, "..", "..", "..", "data")


def sextant(fields, names, iterations=1, threads=0):
    """Runs features_peer on `fields` ({name: T x N array}); returns ({name: T x N array}, [ms])."""
    T, N = next(iter(fields.values())).shape
    with tempfile.TemporaryDirectory() as d:
        for k, x in fields.items():
            np.ascontiguousarray(x, dtype="<f8").tofile(os.path.join(d, k + ".bin"))
        with open(os.path.join(d, "factors.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
        out = os.path.join(d, "out.bin")
        r = subprocess.run([binary, d, str(T), str(N), os.path.join(d, "factors.txt"), out, str(iterations), str(threads)],
                           capture_output=True, text=True, check=True)
        v = np.fromfile(out, dtype="<f8").reshape(len(names), T, N)
    return {n: v[i] for i, n in enumerate(names)}, json.loads(r.stdout)


def agree(label, fields, ref):
    names = sorted(ref)
    got, _ = sextant(fields, names)
    worst, worst_name, bad = 0.0, "", []
    for n in names:
        a, b = got[n], np.asarray(ref[n], dtype=float)
        na, nb = np.isnan(a), np.isnan(b)
        if (na != nb).any():
            bad.append(f"{n}: NaN in {int((na != nb).sum())} different cells")
            continue
        m = ~nb
        err = (np.abs(a[m] - b[m]) / np.maximum(1.0, np.abs(b[m]))).max(initial=0.0)
        if err > worst:
            worst, worst_name = err, n
        if err > 1e-9:
            bad.append(f"{n}: {err:.3g}")
    print(f"{label}: {len(names)} factors, worst {worst:.3g} ({worst_name})" + ("" if not bad else f"; FAILED: {bad[:8]}"))
    return not bad


def frames(fields):
    return {k: pd.DataFrame(v) for k, v in fields.items()}


# ---- 1. agreement ----
spx = pd.read_csv(os.path.join(data, "sp500_2000_2020_ohlcv.csv"))
one = {k: spx[[k]].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume")}
periods = {k: np.stack([spx[k].to_numpy(dtype=float)[j * 1000:(j + 1) * 1000] for j in range(5)], axis=1)
           for k in ("open", "high", "low", "close", "volume")}
dow = pd.read_csv(os.path.join(data, "dowjones30_daily_close.csv"), index_col=0)
dow_close = {"close": dow.to_numpy(dtype=float)}

ok = True
f1 = frames(one)
ref = {**ap.alpha158(f1), **ap.alpha360(f1)}
single = {k: x for k, x in ap.wq_alphas(f1).items() if k in {"wq101.alpha006", "wq101.alpha009", "wq101.alpha012", "wq101.alpha023",
                                                                "wq101.alpha024", "wq101.alpha046", "wq101.alpha049", "wq101.alpha051",
                                                                "wq101.alpha101"}}
ok &= agree("S&P 500, one instrument", one, {**ref, **single})
fp = frames(periods)
ok &= agree("S&P 500, 5 periods as instruments", periods, {**ap.alpha158(fp), **ap.alpha360(fp), **ap.wq_alphas(fp)})
fd = frames(dow_close)
dow_ref = {k: x for k, x in ap.wq_alphas(fd).items()}
dow_ref.update({f"alpha360.CLOSE{d}": (fd["close"].shift(d) if d else fd["close"]) / fd["close"] for d in range(60)})
ok &= agree("Dow 30 closes", dow_close, dow_ref)

# ---- 2. speed: Alpha158, 500 x 2,520 ----
if rounds == 0:
    sys.exit(0 if ok else 1)
T, N = 2520, 500
rng = np.random.default_rng(7)
close = 50 * np.exp(np.cumsum(0.012 * rng.standard_normal((T, N)), axis=0))
opn = close * np.exp(0.004 * rng.standard_normal((T, N)))
big = {"open": opn, "close": close, "high": np.maximum(opn, close) * (1 + 0.006 * rng.random((T, N))),
       "low": np.minimum(opn, close) * (1 - 0.006 * rng.random((T, N))), "volume": 1e6 * np.exp(0.5 * rng.standard_normal((T, N)))}
names = sorted(ap.alpha158(frames({k: v[:80, :2] for k, v in big.items()})))
fb = frames(big)
pandas_ms, one_ms, all_ms = [], [], []
for r in range(rounds):
    t0 = time.perf_counter()
    ap.alpha158(fb)
    pandas_ms.append((time.perf_counter() - t0) * 1e3)
    one_ms += sextant(big, names, iterations=2, threads=1)[1]
    all_ms += sextant(big, names, iterations=2, threads=0)[1]
    print(f"round {r + 1}: pandas {pandas_ms[-1]:.0f} ms", flush=True)
p, s1, sa = statistics.median(pandas_ms), statistics.median(one_ms), statistics.median(all_ms)
print(f"Alpha158 500 x 2520: pandas {p:.0f} ms; Sextant one thread {s1:.0f} ms ({p / s1:.1f}x), all threads {sa:.0f} ms ({p / sa:.1f}x)")
sys.exit(0 if ok else 1)
