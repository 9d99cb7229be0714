#!/usr/bin/env python3
"""numpy's own Dow Jones 30 log returns, written with shortest round-trip precision.

Spearman correlation depends on exact ties between returns. numpy's SIMD log and glibc's log differ
by up to one ulp of ln(p), which makes or breaks a few exact ties, so Spearman on Sextant's returns
differs from pandas on numpy's by ~5e-8. Tests therefore feed numpy's returns (this file) to the
rank-based statistics, and check Sextant's own returns against them separately (to 1e-15).

    /usr/bin/python3 scripts/oracles/dowjones30_log_returns.py ../shared/data data/golden/dowjones30_log_returns_numpy.csv
"""
import sys

import numpy as np
import pandas as pd

data_dir, out = sys.argv[1], sys.argv[2]
prices = pd.read_csv(f"{data_dir}/dowjones30_daily_close.csv", index_col=0)
returns = np.diff(np.log(prices.values), axis=0)
with open(out, "w") as f:
    f.write("Date," + ",".join(prices.columns) + "\n")
    for date, row in zip(prices.index[1:], returns):
        f.write(date + "," + ",".join(repr(float(v)) for v in row) + "\n")
print(f"wrote {out}: {returns.shape[0]} x {returns.shape[1]}, numpy {np.__version__}")
