"""The team's own pandas reference for Alpha158, Alpha360 and 24 of the 101 alphas, written from the
formulas (Qlib's qlib/contrib/data/loader.py and ops.py conventions; Kakushadze's paper), not from
Sextant's expressions. Fields are wide DataFrames (rows = days, columns = instruments), so every
rolling operator runs per instrument, as Qlib's do.

Qlib semantics: rolling windows with min_periods=1, Std ddof 1, Rank = rolling rank pct, IdxMax/IdxMin
1-based from the window's oldest row, Slope/Rsquare/Resi = OLS on x = 1..n, Corr NaN where either
side's rolling std <= 2e-5. The paper's: strict windows, rank = cross-sectional pct rank, ts_rank =
rank 1..d, correlation 0 where a side is constant, decay_linear weights d..1 newest heaviest.
"""
import numpy as np
import pandas as pd

# ---- Qlib operators ----


def Ref(x, d):
    return x.shift(d)


def Mean(x, d):
    return x.rolling(d, min_periods=1).mean()


def Sum(x, d):
    return x.rolling(d, min_periods=1).sum()


def Std(x, d):
    return x.rolling(d, min_periods=1).std()


def Max(x, d):
    return x.rolling(d, min_periods=1).max()


def Min(x, d):
    return x.rolling(d, min_periods=1).min()


def Quantile(x, d, q):
    return x.rolling(d, min_periods=1).quantile(q)


def Rank(x, d):
    return x.rolling(d, min_periods=1).rank(pct=True)


def IdxMax(x, d):
    return x.rolling(d, min_periods=1).apply(lambda a: np.argmax(a) + 1, raw=True)


def IdxMin(x, d):
    return x.rolling(d, min_periods=1).apply(lambda a: np.argmin(a) + 1, raw=True)


def _window_rows(d):
    """Lags from the window's oldest row to its newest: sums run oldest first, as a scan does."""
    return range(d - 1, -1, -1)


def _shift(a, k):
    out = np.full_like(a, np.nan)
    out[k:] = a[:len(a) - k] if k else a
    return out


def _ols(y, d):
    """Rolling OLS of y on x = 1..n over each window's rows (n = rows in the window, fewer at the
    start), in two passes of centred sums: slope, R², residual of the last row."""
    Y = y.to_numpy(dtype=float)
    T = len(Y)
    t = np.arange(T)[:, None]
    top = np.minimum(t, d - 1)  # the newest row's position - 1
    sx = np.zeros_like(Y); sy = np.zeros_like(Y); cnt = np.zeros_like(Y)
    for k in _window_rows(d):
        v = _shift(Y, k); ok = (t >= k) & ~np.isnan(v)
        x = (top - k + 1).astype(float)
        sx += np.where(ok, x, 0.0); sy += np.where(ok, v, 0.0); cnt += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / cnt, sy / cnt
        sxx = np.zeros_like(Y); sxy = np.zeros_like(Y); syy = np.zeros_like(Y)
        for k in _window_rows(d):
            v = _shift(Y, k); ok = (t >= k) & ~np.isnan(v)
            dx = np.where(ok, (top - k + 1) - mx, 0.0); dy = np.where(ok, v - my, 0.0)
            sxx += dx * dx; sxy += dx * dy; syy += dy * dy
        slope = np.where(cnt >= 2, sxy / sxx, np.nan)
        rsq = np.where((cnt >= 2) & (syy > 0), sxy * sxy / (sxx * syy), np.nan)
        resi = np.where(cnt >= 2, Y - (my + slope * ((top + 1) - mx)), np.nan)
    f = lambda a: pd.DataFrame(a, index=y.index, columns=y.columns)  # noqa: E731
    return f(slope), f(rsq), f(resi)


def Slope(x, d):
    return _ols(x, d)[0]


def Rsquare(x, d):
    return _ols(x, d)[1]


def Resi(x, d):
    return _ols(x, d)[2]


def _pair(x, y, d, strict, corr):
    """Rolling correlation or covariance over each window's pairs (both present), two passes of
    centred sums (pandas' mean(xy) - mean(x)mean(y) loses digits when the result is small). Qlib's
    windows answer from 2 pairs; the paper's need d. Returns (value, centred sums of squares, count)."""
    X, Y = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    T = len(X)
    t = np.arange(T)[:, None]
    cnt = np.zeros_like(X); sx = np.zeros_like(X); sy = np.zeros_like(X)
    for k in _window_rows(d):
        a, b = _shift(X, k), _shift(Y, k)
        ok = (t >= k) & ~np.isnan(a) & ~np.isnan(b)
        cnt += ok; sx += np.where(ok, a, 0.0); sy += np.where(ok, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / cnt, sy / cnt
        sxx = np.zeros_like(X); syy = np.zeros_like(X); sxy = np.zeros_like(X)
        for k in _window_rows(d):
            a, b = _shift(X, k), _shift(Y, k)
            ok = (t >= k) & ~np.isnan(a) & ~np.isnan(b)
            dx = np.where(ok, a - mx, 0.0); dy = np.where(ok, b - my, 0.0)
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy
        enough = cnt >= (max(2, d) if strict else 2)
        if corr:
            den = np.sqrt(sxx * syy)
            v = np.where(den > 0, sxy / den, np.nan if not strict else 0.0)
        else:
            v = sxy / (cnt - 1)
        v = np.where(enough, v, np.nan)
    return v, sxx, syy, cnt


def Corr(x, y, d):
    v, sxx, syy, cnt = _pair(x, y, d, strict=False, corr=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        small = (np.sqrt(sxx / (cnt - 1)) <= 2e-5) | (np.sqrt(syy / (cnt - 1)) <= 2e-5)  # Qlib's isclose(std, 0, atol=2e-5)
    return pd.DataFrame(np.where(small, np.nan, v), index=x.index, columns=x.columns)


def Greater(a, b):
    return np.maximum(a, b)


def Less(a, b):
    return np.minimum(a, b)


def gt(a, b):
    return (a > b).astype(float)


def alpha158(f):
    """{name: DataFrame} for the 158 factors, f: {open, high, low, close, volume} wide frames."""
    o, h, l, c, v = f["open"], f["high"], f["low"], f["close"], f["volume"]
    vwap = (h + l + c) / 3
    out = {
        "KMID": (c - o) / o, "KLEN": (h - l) / o, "KMID2": (c - o) / (h - l + 1e-12),
        "KUP": (h - Greater(o, c)) / o, "KUP2": (h - Greater(o, c)) / (h - l + 1e-12),
        "KLOW": (Less(o, c) - l) / o, "KLOW2": (Less(o, c) - l) / (h - l + 1e-12),
        "KSFT": (2 * c - h - l) / o, "KSFT2": (2 * c - h - l) / (h - l + 1e-12),
        "OPEN0": o / c, "HIGH0": h / c, "LOW0": l / c, "VWAP0": vwap / c,
    }
    c1, v1 = Ref(c, 1), Ref(v, 1)
    for d in (5, 10, 20, 30, 60):
        out[f"ROC{d}"] = Ref(c, d) / c
        out[f"MA{d}"] = Mean(c, d) / c
        out[f"STD{d}"] = Std(c, d) / c
        out[f"BETA{d}"] = Slope(c, d) / c
        out[f"RSQR{d}"] = Rsquare(c, d)
        out[f"RESI{d}"] = Resi(c, d) / c
        out[f"MAX{d}"] = Max(h, d) / c
        out[f"MIN{d}"] = Min(l, d) / c
        out[f"QTLU{d}"] = Quantile(c, d, 0.8) / c
        out[f"QTLD{d}"] = Quantile(c, d, 0.2) / c
        out[f"RANK{d}"] = Rank(c, d)
        out[f"RSV{d}"] = (c - Min(l, d)) / (Max(h, d) - Min(l, d) + 1e-12)
        out[f"IMAX{d}"] = IdxMax(h, d) / d
        out[f"IMIN{d}"] = IdxMin(l, d) / d
        out[f"IMXD{d}"] = (IdxMax(h, d) - IdxMin(l, d)) / d
        out[f"CORR{d}"] = Corr(c, np.log(v + 1), d)
        out[f"CORD{d}"] = Corr(c / c1, np.log(v / v1 + 1), d)
        out[f"CNTP{d}"] = Mean(gt(c, c1), d)
        out[f"CNTN{d}"] = Mean(gt(c1, c), d)
        out[f"CNTD{d}"] = Mean(gt(c, c1), d) - Mean(gt(c1, c), d)
        up, down, move = Greater(c - c1, 0), Greater(c1 - c, 0), (c - c1).abs()
        out[f"SUMP{d}"] = Sum(up, d) / (Sum(move, d) + 1e-12)
        out[f"SUMN{d}"] = Sum(down, d) / (Sum(move, d) + 1e-12)
        out[f"SUMD{d}"] = (Sum(up, d) - Sum(down, d)) / (Sum(move, d) + 1e-12)
        out[f"VMA{d}"] = Mean(v, d) / (v + 1e-12)
        out[f"VSTD{d}"] = Std(v, d) / (v + 1e-12)
        wv = (c / c1 - 1).abs() * v
        out[f"WVMA{d}"] = Std(wv, d) / (Mean(wv, d) + 1e-12)
        vup, vdown, vmove = Greater(v - v1, 0), Greater(v1 - v, 0), (v - v1).abs()
        out[f"VSUMP{d}"] = Sum(vup, d) / (Sum(vmove, d) + 1e-12)
        out[f"VSUMN{d}"] = Sum(vdown, d) / (Sum(vmove, d) + 1e-12)
        out[f"VSUMD{d}"] = (Sum(vup, d) - Sum(vdown, d)) / (Sum(vmove, d) + 1e-12)
    return {"alpha158." + k: x for k, x in out.items()}


def alpha360(f):
    o, h, l, c, v = f["open"], f["high"], f["low"], f["close"], f["volume"]
    vwap = (h + l + c) / 3
    out = {}
    for name, x, base in (("CLOSE", c, c), ("OPEN", o, c), ("HIGH", h, c), ("LOW", l, c), ("VWAP", vwap, c), ("VOLUME", v, v + 1e-12)):
        for d in range(59, -1, -1):
            out[f"alpha360.{name}{d}"] = (x.shift(d) if d else x) / base
    return out


# ---- the paper's operators ----


def rank(x):
    return x.rank(axis=1, pct=True)


def delay(x, d):
    return x.shift(d)


def delta(x, d):
    return x - x.shift(d)


def ts_sum(x, d):
    return x.rolling(d).sum()


def stddev(x, d):
    return x.rolling(d).std()


def ts_min(x, d):
    return x.rolling(d).min()


def ts_max(x, d):
    return x.rolling(d).max()


def ts_rank(x, d):
    return x.rolling(d).rank()


def ts_argmax(x, d):
    return x.rolling(d).apply(lambda a: np.argmax(a) + 1, raw=True)


def correlation(x, y, d):
    return pd.DataFrame(_pair(x, y, d, strict=True, corr=True)[0], index=x.index, columns=x.columns)


def covariance(x, y, d):
    return pd.DataFrame(_pair(x, y, d, strict=True, corr=False)[0], index=x.index, columns=x.columns)


def scale(x, a=1.0):
    return x.mul(a).div(x.abs().sum(axis=1), axis=0)


def signedpower(x, e):
    return np.sign(x) * np.abs(x) ** e


def decay_linear(x, d):
    total = d * (d + 1) / 2
    return sum(x.shift(k) * ((d - k) / total) for k in range(d))


def where(cond, a, b):
    a = a if isinstance(a, pd.DataFrame) else pd.DataFrame(a, index=cond.index, columns=cond.columns)
    b = b if isinstance(b, pd.DataFrame) else pd.DataFrame(b, index=cond.index, columns=cond.columns)
    return a.where(cond, b)


def wq_alphas(f):
    """24 of the 101 alphas; f needs close (and for most, open/high/low/volume)."""
    o, h, l, c, v = (f.get(k) for k in ("open", "high", "low", "close", "volume"))
    ret = c / c.shift(1) - 1
    out = {}
    out["wq101.alpha001"] = rank(ts_argmax(signedpower(where(ret < 0, stddev(ret, 20), c), 2.0), 5)) - 0.5
    d1 = delta(c, 1)
    out["wq101.alpha009"] = where(0 < ts_min(d1, 5), d1, where(ts_max(d1, 5) < 0, d1, -1 * d1))
    out["wq101.alpha010"] = rank(where(0 < ts_min(d1, 4), d1, where(ts_max(d1, 4) < 0, d1, -1 * d1)))
    out["wq101.alpha019"] = (-1 * np.sign((c - delay(c, 7)) + delta(c, 7))) * (1 + rank(1 + ts_sum(ret, 250)))
    m100 = delta(ts_sum(c, 100) / 100, 100) / delay(c, 100)
    out["wq101.alpha024"] = where((m100 < 0.05) | (m100 == 0.05), -1 * (c - ts_min(c, 100)), -1 * delta(c, 3))
    out["wq101.alpha034"] = rank((1 - rank(stddev(ret, 2) / stddev(ret, 5))) + (1 - rank(delta(c, 1))))
    slope = ((delay(c, 20) - delay(c, 10)) / 10) - ((delay(c, 10) - c) / 10)
    out["wq101.alpha046"] = where(0.25 < slope, -1.0, where(slope < 0, 1.0, (-1 * 1) * (c - delay(c, 1))))
    out["wq101.alpha049"] = where(slope < (-1 * 0.1), 1.0, (-1 * 1) * (c - delay(c, 1)))
    out["wq101.alpha051"] = where(slope < (-1 * 0.05), 1.0, (-1 * 1) * (c - delay(c, 1)))
    if o is None:
        return out
    vwap = (h + l + c) / 3
    adv20 = v.rolling(20).mean()
    out["wq101.alpha002"] = -1 * correlation(rank(delta(np.log(v), 2)), rank((c - o) / o), 6)
    out["wq101.alpha003"] = -1 * correlation(rank(o), rank(v), 10)
    out["wq101.alpha004"] = -1 * ts_rank(rank(l), 9)
    out["wq101.alpha005"] = rank(o - (ts_sum(vwap, 10) / 10)) * (-1 * np.abs(rank(c - vwap)))
    out["wq101.alpha006"] = -1 * correlation(o, v, 10)
    d7 = delta(c, 7)
    out["wq101.alpha007"] = where(adv20 < v, (-1 * ts_rank(np.abs(d7), 60)) * np.sign(d7), -1.0)
    p = ts_sum(o, 5) * ts_sum(ret, 5)
    out["wq101.alpha008"] = -1 * rank(p - delay(p, 10))
    out["wq101.alpha011"] = (rank(ts_max(vwap - c, 3)) + rank(ts_min(vwap - c, 3))) * rank(delta(v, 3))
    out["wq101.alpha012"] = np.sign(delta(v, 1)) * (-1 * delta(c, 1))
    out["wq101.alpha013"] = -1 * rank(covariance(rank(c), rank(v), 5))
    out["wq101.alpha014"] = (-1 * rank(delta(ret, 3))) * correlation(o, v, 10)
    out["wq101.alpha015"] = -1 * ts_sum(rank(correlation(rank(h), rank(v), 3)), 3)
    out["wq101.alpha016"] = -1 * rank(covariance(rank(h), rank(v), 5))
    out["wq101.alpha018"] = -1 * rank((stddev(np.abs(c - o), 5) + (c - o)) + correlation(c, o, 10))
    out["wq101.alpha020"] = ((-1 * rank(o - delay(h, 1))) * rank(o - delay(c, 1))) * rank(o - delay(l, 1))
    out["wq101.alpha023"] = where((ts_sum(h, 20) / 20) < h, -1 * delta(h, 2), 0.0)
    out["wq101.alpha033"] = rank(-1 * ((1 - (o / c)) ** 1))
    out["wq101.alpha101"] = (c - o) / ((h - l) + 0.001)
    return out
