// Rolling kernels. Conventions (docs/features.md): a window holds the rows (t-w, t]; NaNs in it are
// skipped; Qlib's operators answer once one value is present (min_periods = 1), the paper's once the
// window holds w values. Sum, Mean, Var and Std keep pandas' running states (Kahan-compensated sums,
// Welford variance; rolling_state.hpp), eight instruments to a vector in kernels_window.cpp, so they
// agree with pandas to rounding; EMA steps one state per instrument here; Quantile/Med keep a sorted
// window. Corr, Cov and the other window operators compute each window on its own (kernels_window.cpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "kernels.hpp"
#include "rolling_state.hpp"

namespace sextant::features::kernels {
namespace {

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

// One column's rows first..rows-1, for each node of `nodes` (Quantiles and Meds of one window) into
// res[i]. Over many rows the window is kept sorted as rows enter and leave (SortedWindow, as the stream
// keeps it); for a few (the last row) each window is sorted on its own. Both hold the same values in
// the same order, so they give the same bits.
void order_column(std::span<const Node* const> nodes, std::size_t w, const double* v, std::size_t rows, std::size_t first,
                  std::span<double* const> res) {
  thread_local SortedWindow win;
  auto answer = [&](std::size_t t) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const bool median = nodes[i]->op == Op::med;
      res[i][t - first] = order_statistic(median, median ? 0.0 : nodes[i]->params[1], win.v.data(), win.v.size());
    }
  };
  win.v.clear();
  if ((rows - first) * 8 <= w) {
    for (std::size_t t = first; t < rows; ++t) {
      win.v.clear();
      for (std::size_t i = t + 1 >= w ? t + 1 - w : 0; i <= t; ++i)
        if (v[i] == v[i]) win.v.push_back(v[i]);
      std::sort(win.v.begin(), win.v.end());
      answer(t);
    }
    return;
  }
  for (std::size_t t = 0; t < rows; ++t) {
    win.step(t >= w, t >= w ? v[t - w] : 0.0, v[t]);
    if (t >= first) answer(t);
  }
}

// Quantile and Med, a block of instruments at a time: the block's columns are copied out of the
// row-major panel a row segment at a time (reading a column of a 500-instrument panel directly touches
// one cache line per value), computed column by column, and written back by row segments.
void order_scan(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b) {
  const std::size_t w = window_of(*nodes[0]), m = b.c1 - b.c0, rows = b.rows, outrows = rows - b.first, k = nodes.size();
  thread_local std::vector<double> cols, res;
  cols.resize(m * rows);
  res.resize(k * m * outrows);
  const std::size_t from = b.first + 1 >= w ? b.first + 1 - w : 0;  // the first window's oldest row
  for (std::size_t t = from; t < rows; ++t) {
    const double* row = x + t * b.stride + b.c0;
    for (std::size_t j = 0; j < m; ++j) cols[j * rows + t] = row[j];
  }
  double* at[kMaxShared];
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t i = 0; i < k; ++i) at[i] = res.data() + (i * m + j) * outrows;
    order_column(nodes, w, cols.data() + j * rows + from, rows - from, b.first - from, std::span<double* const>(at, k));
  }
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t t = 0; t < outrows; ++t) {
      double* row = outs[i] + t * b.stride + b.c0;
      for (std::size_t j = 0; j < m; ++j) row[j] = res[(i * m + j) * outrows + t];
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
    case Op::ts_corr: return pair(n, x, in[1], out, b, true);
    case Op::cov:
    case Op::ts_cov: return pair(n, x, in[1], out, b, false);
    case Op::ema: return ema(n, x, out, b);
    default: {
      const Node* nodes[1] = {&n};
      double* outs[1] = {out};
      rolling_shared(nodes, x, outs, b);
    }
  }
}

int shared_window_family(Op op) {
  switch (op) {
    case Op::max: case Op::ts_max: case Op::idxmax: case Op::ts_argmax: return 1;
    case Op::min: case Op::ts_min: case Op::idxmin: case Op::ts_argmin: return 2;
    case Op::slope: case Op::rsquare: case Op::resi: return 3;
    case Op::quantile: case Op::med: return 4;
    case Op::skew: case Op::kurt: return 5;
    default: return 0;
  }
}

void rolling_shared(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b) {
  const Op op = nodes[0]->op;
  if (op == Op::quantile || op == Op::med) return order_scan(nodes, x, outs, b);
  // Over a few rows (the last row, the stream's bar) a direct scan of each window costs less.
  const int family = shared_window_family(op);
  if ((family == 1 || family == 2) && b.rows - b.first >= 4) return extremes(nodes, x, outs, b);
  for (std::size_t t = b.first; t < b.rows; ++t) window_row(nodes, x, outs, b, t);
}

}  // namespace sextant::features::kernels
