#!/usr/bin/env python3
"""Exact PCA oracle for the Dow Jones 30 log returns.

The shared golden file's PCA (dowjones30_analytics.json) came from scikit-learn's default
`svd_solver="auto"`, which picks the *randomized* solver for a 2528 x 30 matrix and 5 components:
its eigenvalues are off the exact ones by up to 0.8% (5th component). This script writes the
exact values, from scikit-learn PCA(svd_solver="full") and cross-checked against numpy.linalg.eigh.

Run with Debian's python3 (python3-numpy, python3-pandas, python3-sklearn; `scripts/setup --peers`):
    /usr/bin/python3 scripts/oracles/dowjones30_pca_exact.py ../shared/data data/golden/dowjones30_pca_exact.json
"""
import json
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.decomposition import PCA

data_dir, out = sys.argv[1], sys.argv[2]
prices = pd.read_csv(f"{data_dir}/dowjones30_daily_close.csv", index_col=0)
returns = np.diff(np.log(prices.values), axis=0)
pca = PCA(n_components=5, svd_solver="full").fit(returns)

cov = np.cov(returns, rowvar=False)
w, v = np.linalg.eigh(cov)
w, v = w[::-1][:5], v[:, ::-1][:, :5]
assert np.allclose(w, pca.explained_variance_, rtol=1e-12, atol=0)
assert np.allclose(np.abs(v.T), np.abs(pca.components_), rtol=0, atol=1e-10)

components = pca.components_.copy()
for row in components:  # sign convention: the largest |entry| of each component is positive
    if row[np.argmax(np.abs(row))] < 0:
        row *= -1

json.dump({
    "source": "dowjones30_daily_close.csv",
    "oracle": f"scikit-learn {sklearn.__version__} PCA(n_components=5, svd_solver='full'), numpy {np.__version__}",
    "conventions": "returns = diff(log(close)); PCA on centred returns; eigenvalues = explained_variance_ "
                   "(covariance ddof=1); components rows are unit eigenvectors with the largest |entry| positive",
    "rows": int(returns.shape[0]),
    "eigenvalues_top5": pca.explained_variance_.tolist(),
    "explained_variance_ratio_top5": pca.explained_variance_ratio_.tolist(),
    "components_top5_rows": components.ravel().tolist(),
}, open(out, "w"), indent=1)
print(f"wrote {out}")
