#!/usr/bin/env python3
"""A sampled copy of the shared TA-Lib golden file, for checkouts without ../shared/data.

The full file (../shared/data/golden/sp500_talib.json, 9.6 MB) is what tests use when it is there.
This copy keeps every function's inputs, parameters and begIndex, and for each output the rows
begIndex-2 .. begIndex+20, every 25th row, and the last 30 rows (indicators are path dependent, so
sampled rows still check the whole computation). Values are TA-Lib's, unchanged.

    /usr/bin/python3 scripts/oracles/sp500_talib_sampled.py ../shared/data/golden/sp500_talib.json data/golden/sp500_talib_sampled.json
"""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
g = json.load(open(src))
rows = g["rows"]
sampled = {}
for name, f in g["functions"].items():
    beg = f["begIndex"]
    keep = sorted({r for r in range(max(0, beg - 2), min(rows, beg + 21))} |
                  set(range(0, rows, 25)) | set(range(max(0, rows - 30), rows)))
    sampled[name] = {
        "inputs": f["inputs"], "params": f["params"], "begIndex": beg, "sampled_rows": keep,
        "outputs": {k: [v[r] for r in keep] for k, v in f["outputs"].items()},
    }
json.dump({"source": g["source"], "library": g["library"], "rows": rows,
           "note": "sampled from sp500_talib.json by scripts/oracles/sp500_talib_sampled.py; outputs hold the rows in sampled_rows",
           "functions": sampled}, open(out, "w"), separators=(",", ":"))
print(f"wrote {out}")
