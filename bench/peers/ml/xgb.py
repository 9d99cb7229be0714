"""Batch prediction: Sextant's evaluator (ml_peer) against python xgboost 1.7 on the same model and the
same 100,000 rows, alternating rounds in one run; median ratio, all threads and one thread.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/ml/xgb.py build/bench/bench/ml_peer [rounds]

Python's path is Booster.inplace_predict (what XGBRegressor.predict calls for a numpy array), with
nthread set on the booster. The script checks that both give the same predictions (1e-6) first.
"""
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import xgboost

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from timing import timed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "golden"))


def main():
    peer = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    model = os.path.join(DATA, "sp500_xgb_regressor.json")
    rng = np.random.default_rng(1)
    rows = (0.01 * rng.standard_normal((100_000, 13))).astype(np.float32)
    booster = xgboost.Booster(model_file=model)
    print(f"xgboost {xgboost.__version__}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        rows_file, out_file = os.path.join(tmp, "rows.bin"), os.path.join(tmp, "out.bin")
        rows.tofile(rows_file)

        def sextant(threads, iterations):
            out = subprocess.run([peer, model, rows_file, str(len(rows)), "13", out_file, str(iterations), str(threads)],
                                 check=True, capture_output=True, text=True).stdout
            return [float(x) for x in out.split()]

        def python(threads, iterations):
            booster.set_param({"nthread": threads or os.cpu_count()})
            ms, out = timed(lambda: booster.inplace_predict(rows), iterations)
            return ms, out

        _, want = python(0, 1)
        sextant(0, 1)
        got = np.fromfile(out_file, dtype=np.float64)
        worst = float(np.max(np.abs(got - want)))
        print(f"agreement: max |sextant - xgboost| = {worst:.2e} over {len(rows)} rows")
        assert worst <= 1e-6, worst
        for threads, label in ((0, "all threads"), (1, "1 thread")):
            ratios, ours_all, theirs_all = [], [], []
            for _ in range(rounds):
                theirs = statistics.median(python(threads, 5)[0])
                ours = statistics.median(sextant(threads, 5)[1:] or sextant(threads, 5))
                ratios.append(theirs / ours)
                ours_all.append(ours)
                theirs_all.append(theirs)
            print(f"{label}: sextant {statistics.median(ours_all):.2f} ms, python xgboost {statistics.median(theirs_all):.2f} ms, "
                  f"median ratio {statistics.median(ratios):.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
