// Rolling kernels. Conventions (docs/features.md): a window holds the rows (t-w, t]; NaNs in it are
// skipped; Qlib's operators answer once one value is present (min_periods = 1), the paper's once the
// window holds w values. Recurrences (sum, mean, var, EMA) keep one state per instrument
// and step row by row across instruments: sum, mean and var with pandas' update formulas (Kahan-
// compensated sums, Welford variance), so they agree with pandas to rounding. The rest, Corr and Cov
// included (see pair()), compute each window on its own.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "kernels.hpp"
#include "rolling_state.hpp"
#include "sextant/core/clones.hpp"

// The sums of a loop never alias its inputs (ivdep); clang's spelling of the same promise.
#if defined(__clang__)
#define SEXTANT_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#else
#define SEXTANT_IVDEP _Pragma("GCC ivdep")
#endif

namespace sextant::features::kernels {
namespace {

// A windowed recurrence over the block: per instrument, `step(state, full, leaving, entering)` (one of
// rolling_state.hpp's, as the stream calls it) gives the row's value.
template <class State, class Step>
void running(const Node& n, const double* x, double* out, const Block& b, Step step) {
  const std::size_t w = window_of(n);
  thread_local std::vector<State> st;
  st.assign(b.c1 - b.c0, State{});
  for (std::size_t t = 0; t < b.rows; ++t)
    for (std::size_t c = b.c0; c < b.c1; ++c) {
      const double v = step(st[c - b.c0], t >= w, t >= w ? x[(t - w) * b.stride + c] : 0.0, x[t * b.stride + c]);
      if (t >= b.first) out[(t - b.first) * b.stride + c] = v;
    }
}

void mean_or_sum(const Node& n, const double* x, double* out, const Block& b, bool mean) {
  const long minp = min_periods(n);
  running<MeanState>(n, x, out, b, [&](MeanState& s, bool full, double old, double v) { return mean_step(s, full, old, v, minp, mean); });
}

void variance(const Node& n, const double* x, double* out, const Block& b, bool sd) {
  const long minp = min_periods(n);
  running<VarState>(n, x, out, b, [&](VarState& s, bool full, double old, double v) { return var_step(s, full, old, v, minp, sd); });
}

// Corr and Cov from each window's centred sums (two passes over its pairs where both are present).
// pandas computes mean(xy) - mean(x)·mean(y) from running sums instead, which cancels when the
// correlation is small against the means: at |ρ| ~ 1e-3 between prices and log volumes it keeps 8
// digits. Two passes keep the error at the scale of the deviations, and a window's value depends on
// that window alone, so the last-row and streaming evaluators reproduce it exactly. The inner loops
// run across instruments (ivdep: the sums never alias the inputs; without it GCC keeps a scalar loop
// beside the vector one); built for each CPU level, which give the same bits (IEEE operations in the
// same order per instrument, no contraction).
// Fixed: as for window_row_impl.
template <std::size_t Fixed>
[[gnu::always_inline]] inline void pair_impl(const Node& n, const double* x, const double* y, double* out, const Block& b, bool corr) {
  const std::size_t w = window_of(n), m = Fixed ? Fixed : b.c1 - b.c0;
  const long minp = std::max(2L, min_periods(n));
  const bool qlib = !op_def(n.op).strict;
  double local[6 * (Fixed ? Fixed : 1)];
  thread_local std::vector<double> scratch;
  if constexpr (!Fixed) scratch.resize(6 * m);
  double* const sums = Fixed ? local : scratch.data();
  double *cnt = sums, *mx = cnt + m, *my = mx + m, *sxx = my + m, *syy = sxx + m, *sxy = syy + m;
  for (std::size_t t = b.first; t < b.rows; ++t) {
    const std::size_t start = t + 1 >= w ? t + 1 - w : 0;
    std::fill(cnt, cnt + 3 * m, 0.0);  // cnt, mx, my
    for (std::size_t r = start; r <= t; ++r) {
      const double* xr = x + r * b.stride + b.c0;
      const double* yr = y + r * b.stride + b.c0;
      SEXTANT_IVDEP
      for (std::size_t j = 0; j < m; ++j) {
        const bool ok = xr[j] == xr[j] && yr[j] == yr[j];
        cnt[j] += ok ? 1.0 : 0.0;
        mx[j] += ok ? xr[j] : 0.0;
        my[j] += ok ? yr[j] : 0.0;
      }
    }
    for (std::size_t j = 0; j < m; ++j) mx[j] /= cnt[j], my[j] /= cnt[j];
    std::fill(sxx, sxx + 3 * m, 0.0);  // sxx, syy, sxy
    for (std::size_t r = start; r <= t; ++r) {
      const double* xr = x + r * b.stride + b.c0;
      const double* yr = y + r * b.stride + b.c0;
      SEXTANT_IVDEP
      for (std::size_t j = 0; j < m; ++j) {
        const bool ok = xr[j] == xr[j] && yr[j] == yr[j];
        const double dx = ok ? xr[j] - mx[j] : 0.0, dy = ok ? yr[j] - my[j] : 0.0;
        sxx[j] += dx * dx;
        syy[j] += dy * dy;
        sxy[j] += dx * dy;
      }
    }
    double* o = out + (t - b.first) * b.stride + b.c0;
    for (std::size_t j = 0; j < m; ++j) {
      const double k = cnt[j];
      if (k < double(minp)) {
        o[j] = kNaN;
      } else if (!corr) {
        o[j] = sxy[j] / (k - 1);
      } else if (qlib && (std::sqrt(sxx[j] / (k - 1)) <= 2e-5 || std::sqrt(syy[j] / (k - 1)) <= 2e-5)) {
        o[j] = kNaN;  // Qlib: NaN where either side's rolling std is within 2e-5 of 0 (numpy.isclose, atol 2e-5)
      } else {
        // The paper's correlation of a constant window is 0 (as pandas implementations of the alphas
        // fill it): a NaN there would void every strict window downstream of it.
        const double den = std::sqrt(sxx[j] * syy[j]);
        o[j] = den > 0 ? sxy[j] / den : qlib ? kNaN : 0.0;
      }
    }
  }
}

SEXTANT_SIMD_CLONES void pair(const Node& n, const double* x, const double* y, double* out,
                                                               const Block& b, bool corr) {
  if (b.c1 - b.c0 == 1) pair_impl<1>(n, x, y, out, b, corr);
  else pair_impl<0>(n, x, y, out, b, corr);
}

void ema(const Node& n, const double* x, double* out, const Block& b) {
  const double alpha = ema_alpha(n.params[0]);
  thread_local std::vector<EmaState> st;
  st.assign(b.c1 - b.c0, EmaState{});
  for (std::size_t t = 0; t < b.rows; ++t)
    for (std::size_t c = b.c0; c < b.c1; ++c) {
      const double v = st[c - b.c0].step(x[t * b.stride + c], alpha);
      if (t >= b.first) out[(t - b.first) * b.stride + c] = v;
    }
}

// ---- Quantile and Med: one instrument at a time over a sorted copy of its window ----

// One column's rows first..rows-1. Over many rows the window is kept sorted as rows enter and leave
// (SortedWindow, as the stream keeps it); for a few (the last row) each window is sorted on its own.
// Both hold the same values in the same order, so they give the same bits.
void order_column(const Node& n, std::size_t w, const double* v, std::size_t rows, std::size_t first, double* res) {
  const bool median = n.op == Op::med;
  const double q = median ? 0.0 : n.params[1];
  thread_local SortedWindow win;
  win.v.clear();
  if ((rows - first) * 8 <= w) {
    for (std::size_t t = first; t < rows; ++t) {
      win.v.clear();
      for (std::size_t i = t + 1 >= w ? t + 1 - w : 0; i <= t; ++i)
        if (v[i] == v[i]) win.v.push_back(v[i]);
      std::sort(win.v.begin(), win.v.end());
      res[t - first] = order_statistic(median, q, win.v.data(), win.v.size());
    }
    return;
  }
  for (std::size_t t = 0; t < rows; ++t) {
    win.step(t >= w, t >= w ? v[t - w] : 0.0, v[t]);
    if (t >= first) res[t - first] = order_statistic(median, q, win.v.data(), win.v.size());
  }
}

// Quantile and Med, a block of instruments at a time: the block's columns are copied out of the
// row-major panel a row segment at a time (reading a column of a 500-instrument panel directly touches
// one cache line per value), computed column by column, and written back by row segments.
void order_scan(const Node& n, const double* x, double* out, const Block& b) {
  const std::size_t w = window_of(n), m = b.c1 - b.c0, rows = b.rows, outrows = rows - b.first;
  thread_local std::vector<double> cols, res;
  cols.resize(m * rows);
  res.resize(m * outrows);
  const std::size_t from = b.first + 1 >= w ? b.first + 1 - w : 0;  // the first window's oldest row
  for (std::size_t t = from; t < rows; ++t) {
    const double* row = x + t * b.stride + b.c0;
    for (std::size_t j = 0; j < m; ++j) cols[j * rows + t] = row[j];
  }
  for (std::size_t j = 0; j < m; ++j) order_column(n, w, cols.data() + j * rows + from, rows - from, b.first - from, res.data() + j * outrows);
  for (std::size_t t = 0; t < outrows; ++t) {
    double* row = out + t * b.stride + b.c0;
    for (std::size_t j = 0; j < m; ++j) row[j] = res[j * outrows + t];
  }
}

// Operators window_row() computes.
bool by_rows(Op op) {
  switch (op) {
    case Op::count: case Op::max: case Op::ts_max: case Op::min: case Op::ts_min: case Op::idxmax: case Op::ts_argmax:
    case Op::idxmin: case Op::ts_argmin: case Op::rank: case Op::ts_rank: case Op::decay_linear: case Op::wma:
    case Op::ts_product: case Op::mad: case Op::skew: case Op::kurt: case Op::slope: case Op::rsquare: case Op::resi:
      return true;
    default: return false;
  }
}

// A window operator's output row t: the window's rows are read where they lie and the operator steps
// across the block's instruments a row at a time, so the inner loops vectorise and no column is copied
// out. Per instrument, a NaN leaves every sum as it was, and the sums run oldest row first, so a row's
// value depends only on its window: the stream and the last-row evaluator give batch's bits.
// For the operators of by_rows().
// Fixed: the block's width when known at compile time (1: one instrument, whose sums then live in
// registers; the last-row evaluation of the whole catalogue runs one instrument), else 0.
template <std::size_t Fixed>
[[gnu::always_inline]] inline void window_row_impl(const Node& n, const double* x, double* out, const Block& b, std::size_t t) {
  const Op op = n.op;
  const std::size_t w = window_of(n), m = Fixed ? Fixed : b.c1 - b.c0;
  const std::size_t start = t + 1 >= w ? t + 1 - w : 0, len = t + 1 - start;
  const bool strict = op_def(op).strict;
  const double* last = x + t * b.stride + b.c0;
  auto row = [&](std::size_t r) { return x + (start + r) * b.stride + b.c0; };  // r-th row of the window
  double* o = out + (t - b.first) * b.stride + b.c0;
  double local[6 * (Fixed ? Fixed : 1)] = {};
  thread_local std::vector<double> scratch;
  if constexpr (!Fixed) scratch.assign(6 * m, 0.0);
  double* const sums = Fixed ? local : scratch.data();
  double *cnt = sums, *a = cnt + m, *c = a + m, *d = c + m, *e = d + m, *f = e + m;
  auto count_rows = [&] {
    for (std::size_t r = 0; r < len; ++r) {
      const double* v = row(r);
      for (std::size_t j = 0; j < m; ++j) cnt[j] += v[j] == v[j] ? 1.0 : 0.0;
    }
  };
  auto empty = [&](std::size_t j) { return cnt[j] == 0 || (strict && cnt[j] < double(w)); };
  // sum over the window's non-NaN values of g(value, position), into acc
  auto accumulate = [&](double* acc, auto g) {
    for (std::size_t r = 0; r < len; ++r) {
      const double* v = row(r);
      for (std::size_t j = 0; j < m; ++j) acc[j] = v[j] == v[j] ? acc[j] + g(v[j], r, j) : acc[j];
    }
  };
  switch (op) {
    case Op::count:
      count_rows();
      std::copy(cnt, cnt + m, o);
      return;
    case Op::max:
    case Op::ts_max:
    case Op::min:
    case Op::ts_min:
    case Op::idxmax:
    case Op::ts_argmax:
    case Op::idxmin:
    case Op::ts_argmin: {
      const bool want_max = op == Op::max || op == Op::ts_max || op == Op::idxmax || op == Op::ts_argmax;
      const bool position = op == Op::idxmax || op == Op::idxmin || op == Op::ts_argmax || op == Op::ts_argmin;
      std::fill(a, a + m, kNaN);  // the extreme so far (the earliest of ties), c: its position
      for (std::size_t r = 0; r < len; ++r) {
        const double* v = row(r);
        for (std::size_t j = 0; j < m; ++j) {
          const bool ok = v[j] == v[j];
          const bool better = ok && (a[j] != a[j] || (want_max ? v[j] > a[j] : v[j] < a[j]));
          cnt[j] += ok ? 1.0 : 0.0;
          a[j] = better ? v[j] : a[j];
          c[j] = better ? double(r) : c[j];
        }
      }
      for (std::size_t j = 0; j < m; ++j) o[j] = empty(j) ? kNaN : position ? c[j] + 1.0 : a[j];
      return;
    }
    case Op::rank:
    case Op::ts_rank: {
      for (std::size_t r = 0; r < len; ++r) {
        const double* v = row(r);
        for (std::size_t j = 0; j < m; ++j) {
          cnt[j] += v[j] == v[j] ? 1.0 : 0.0;
          a[j] += v[j] < last[j] ? 1.0 : 0.0;  // less
          c[j] += v[j] == last[j] ? 1.0 : 0.0;  // equal
        }
      }
      for (std::size_t j = 0; j < m; ++j) {
        const double rk = a[j] + (c[j] + 1.0) / 2.0;
        o[j] = empty(j) || last[j] != last[j] ? kNaN : op == Op::rank ? rk / cnt[j] : rk;
      }
      return;
    }
    case Op::decay_linear: {
      count_rows();
      const double total = double(w) * double(w + 1) / 2.0;
      for (std::size_t r = 0; r < len; ++r) {  // a NaN in the window propagates
        const double* v = row(r);
        const double k = double(r + 1) / total;
        for (std::size_t j = 0; j < m; ++j) a[j] += k * v[j];
      }
      for (std::size_t j = 0; j < m; ++j) o[j] = empty(j) ? kNaN : a[j];
      return;
    }
    case Op::wma: {
      count_rows();
      const double total = double(len) * double(len + 1) / 2.0;
      accumulate(a, [&](double v, std::size_t r, std::size_t) { return (double(r + 1) / total) * v; });
      for (std::size_t j = 0; j < m; ++j) o[j] = empty(j) ? kNaN : a[j] / cnt[j];
      return;
    }
    case Op::ts_product: {
      count_rows();
      std::fill(a, a + m, 1.0);
      for (std::size_t r = 0; r < len; ++r) {
        const double* v = row(r);
        for (std::size_t j = 0; j < m; ++j) a[j] = v[j] == v[j] ? a[j] * v[j] : a[j];
      }
      for (std::size_t j = 0; j < m; ++j) o[j] = empty(j) ? kNaN : a[j];
      return;
    }
    case Op::mad: {
      count_rows();
      accumulate(a, [](double v, std::size_t, std::size_t) { return v; });
      for (std::size_t j = 0; j < m; ++j) d[j] = a[j] / cnt[j];
      accumulate(c, [&](double v, std::size_t, std::size_t j) { return std::fabs(v - d[j]); });
      for (std::size_t j = 0; j < m; ++j) o[j] = empty(j) ? kNaN : c[j] / cnt[j];
      return;
    }
    case Op::skew:
    case Op::kurt: {
      count_rows();
      accumulate(a, [](double v, std::size_t, std::size_t) { return v; });
      for (std::size_t j = 0; j < m; ++j) f[j] = a[j] / cnt[j];  // the mean
      for (std::size_t r = 0; r < len; ++r) {
        const double* v = row(r);
        for (std::size_t j = 0; j < m; ++j) {
          const bool ok = v[j] == v[j];
          const double dv = v[j] - f[j], d2 = dv * dv;
          c[j] = ok ? c[j] + d2 : c[j];
          d[j] = ok ? d[j] + d2 * dv : d[j];
          e[j] = ok ? e[j] + d2 * d2 : e[j];
        }
      }
      for (std::size_t j = 0; j < m; ++j) {
        const double N = cnt[j];
        if (empty(j) || N < (op == Op::skew ? 3.0 : 4.0)) {
          o[j] = kNaN;
          continue;
        }
        const double m2 = c[j] / N, m3 = d[j] / N, m4 = e[j] / N;
        if (m2 <= 1e-14 * std::max(1.0, f[j] * f[j])) o[j] = kNaN;
        else if (op == Op::skew) o[j] = std::sqrt(N * (N - 1)) / (N - 2) * m3 / std::pow(m2, 1.5);
        else o[j] = (N - 1) / ((N - 2) * (N - 3)) * ((N + 1) * (m4 / (m2 * m2) - 3.0) + 6.0);
      }
      return;
    }
    case Op::slope:
    case Op::rsquare:
    case Op::resi: {
      count_rows();
      accumulate(a, [](double, std::size_t r, std::size_t) { return double(r + 1); });  // sx
      accumulate(c, [](double v, std::size_t, std::size_t) { return v; });               // sy
      for (std::size_t j = 0; j < m; ++j) a[j] /= cnt[j], c[j] /= cnt[j];                // mx, my
      for (std::size_t r = 0; r < len; ++r) {
        const double* v = row(r);
        for (std::size_t j = 0; j < m; ++j) {
          const bool ok = v[j] == v[j];
          const double dx = double(r + 1) - a[j], dy = v[j] - c[j];
          d[j] = ok ? d[j] + dx * dx : d[j];  // sxx
          e[j] = ok ? e[j] + dx * dy : e[j];  // sxy
          f[j] = ok ? f[j] + dy * dy : f[j];  // syy
        }
      }
      for (std::size_t j = 0; j < m; ++j) {
        if (empty(j) || cnt[j] < 2) {
          o[j] = kNaN;
          continue;
        }
        const double slope = e[j] / d[j];
        if (op == Op::slope) o[j] = slope;
        else if (op == Op::rsquare) o[j] = f[j] > 0 ? e[j] * e[j] / (d[j] * f[j]) : kNaN;
        else o[j] = last[j] != last[j] ? kNaN : last[j] - (c[j] + slope * (double(len) - a[j]));
      }
      return;
    }
    default: return;
  }
}

SEXTANT_SIMD_CLONES void window_row(const Node& n, const double* x, double* out, const Block& b, std::size_t t) {
  if (b.c1 - b.c0 == 1) window_row_impl<1>(n, x, out, b, t);
  else window_row_impl<0>(n, x, out, b, t);
}

// A wide block (the stream's rows: every instrument at once) in slices of 256 instruments, so the
// kernels' per-instrument sums stay in L1 rather than stream through memory.
template <class Kernel>
void by_columns(const Block& b, Kernel kernel) {
  constexpr std::size_t kSlice = 256;
  for (std::size_t c = b.c0; c < b.c1; c += kSlice) {
    Block slice = b;
    slice.c0 = c;
    slice.c1 = std::min(c + kSlice, b.c1);
    kernel(slice);
  }
}

}  // namespace

void rolling(const Node& n, std::span<const double* const> in, double* out, const Block& b) {
  const double* x = in[0];
  switch (n.op) {
    case Op::ref:
    case Op::delta: {
      const std::size_t lag = window_of(n);
      for (std::size_t t = b.first; t < b.rows; ++t)
        for (std::size_t c = b.c0; c < b.c1; ++c) {
          const double back = t >= lag ? x[(t - lag) * b.stride + c] : kNaN;
          out[(t - b.first) * b.stride + c] = n.op == Op::ref ? back : x[t * b.stride + c] - back;
        }
      return;
    }
    case Op::mean:
    case Op::ts_mean: return mean_or_sum(n, x, out, b, true);
    case Op::sum:
    case Op::ts_sum: return mean_or_sum(n, x, out, b, false);
    case Op::std:
    case Op::ts_std: return variance(n, x, out, b, true);
    case Op::var: return variance(n, x, out, b, false);
    case Op::corr:
    case Op::ts_corr: return by_columns(b, [&](const Block& c) { pair(n, x, in[1], out, c, true); });
    case Op::cov:
    case Op::ts_cov: return by_columns(b, [&](const Block& c) { pair(n, x, in[1], out, c, false); });
    case Op::ema: return ema(n, x, out, b);
    default:
      if (!by_rows(n.op)) return order_scan(n, x, out, b);
      by_columns(b, [&](const Block& c) {
        for (std::size_t t = c.first; t < c.rows; ++t) window_row(n, x, out, c, t);
      });
  }
}

}  // namespace sextant::features::kernels
