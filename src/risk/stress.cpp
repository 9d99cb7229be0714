#include "sextant/risk/stress.hpp"

#include <algorithm>
#include <cmath>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"

namespace sextant::risk {
namespace {

ScenarioResult finish(std::string name, std::vector<double> asset, std::span<const double> w, double value) {
  ScenarioResult s;
  s.name = std::move(name);
  s.pnl.resize(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    s.pnl[i] = value * w[i] * asset[i];
    s.total += s.pnl[i];
  }
  s.asset_returns = std::move(asset);
  return s;
}

std::vector<double> compounded(MatrixView x, std::size_t from, std::size_t to) {
  std::vector<double> g(x.cols, 1.0);
  for (std::size_t r = from; r <= to; ++r)
    for (std::size_t i = 0; i < x.cols; ++i) g[i] *= 1.0 + x(r, i);
  for (double& v : g) v -= 1.0;
  return g;
}

void check_weights(MatrixView x, std::span<const double> w) {
  if (w.size() != x.cols)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, expected {}", w.size(), x.cols);
}

}  // namespace

std::vector<ScenarioResult> historical_ranges(MatrixView x, std::span<const double> w, double value,
                                              const std::vector<RangeScenario>& ranges,
                                              const std::function<void()>& checkpoint) {
  check_weights(x, w);
  std::vector<ScenarioResult> out;
  for (const auto& s : ranges) {
    if (checkpoint) checkpoint();
    if (s.start_row > s.end_row || s.end_row >= x.rows)
      fail(ErrorCode::invalid_argument, "scenarios", "scenario '{}' covers rows {}..{}, outside 0..{}", s.name, s.start_row,
           s.end_row, x.rows - 1);
    auto r = finish(s.name, compounded(x, s.start_row, s.end_row), w, value);
    r.start_row = s.start_row, r.end_row = s.end_row;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ScenarioResult> worst_windows(MatrixView x, std::span<const double> w, double value, std::size_t count,
                                          std::size_t length) {
  check_weights(x, w);
  if (length == 0 || length > x.rows)
    fail(ErrorCode::invalid_argument, "worst_windows.length", "'length' must be in [1, {}], got {}", x.rows, length);
  // Portfolio return of every window, then greedily the worst windows that do not overlap a chosen one.
  // Rows fall in blocks of `length`; a window is the tail of one block times the head of the next, so
  // two passes of running products rank all windows in O(T·N) instead of O(T·length·N). (The ranking
  // products associate differently from a row-by-row product; the chosen windows are recompounded.)
  const std::size_t t = x.rows, n = x.cols;
  Matrix head(t, n), tail(t, n);
  for (std::size_t r = 0; r < t; ++r)
    for (std::size_t i = 0; i < n; ++i) head(r, i) = (r % length ? head(r - 1, i) : 1.0) * (1.0 + x(r, i));
  for (std::size_t r = t; r-- > 0;)
    for (std::size_t i = 0; i < n; ++i)
      tail(r, i) = (r + 1 < t && (r + 1) % length ? tail(r + 1, i) : 1.0) * (1.0 + x(r, i));
  std::vector<std::pair<double, std::size_t>> windows;
  for (std::size_t s = 0; s + length <= t; ++s) {
    double ret = 0;
    for (std::size_t i = 0; i < n; ++i)
      ret += w[i] * ((s % length ? tail(s, i) * head(s + length - 1, i) : tail(s, i)) - 1.0);
    windows.emplace_back(ret, s);
  }
  std::sort(windows.begin(), windows.end());
  std::vector<ScenarioResult> out;
  std::vector<std::size_t> taken;
  for (const auto& [ret, s] : windows) {
    if (out.size() == count) break;
    bool overlaps = false;
    for (std::size_t t : taken) overlaps |= s < t + length && t < s + length;
    if (overlaps) continue;
    taken.push_back(s);
    auto r = finish("worst window " + std::to_string(out.size() + 1), compounded(x, s, s + length - 1), w, value);
    r.start_row = s, r.end_row = s + length - 1;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ScenarioResult> hypothetical_shocks(MatrixView cov, std::span<const double> w, double value,
                                                const std::vector<ShockScenario>& shocks,
                                                const std::function<void()>& checkpoint) {
  const std::size_t n = cov.rows;
  if (!cov.square()) fail(ErrorCode::dimension_mismatch, "covariance", "the covariance must be square");
  if (w.size() != n) fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, expected {}", w.size(), n);
  std::vector<ScenarioResult> out;
  for (const auto& sc : shocks) {
    if (checkpoint) checkpoint();
    const std::size_t k = sc.shocks.size();
    if (k == 0) fail(ErrorCode::invalid_argument, "shocks", "scenario '{}' shocks nothing", sc.name);
    Matrix sss(k, k), s(k, 1);
    for (std::size_t a = 0; a < k; ++a) {
      if (sc.shocks[a].first >= n)
        fail(ErrorCode::invalid_argument, "shocks", "scenario '{}' shocks asset {}, beyond {}", sc.name, sc.shocks[a].first, n - 1);
      s(a, 0) = sc.shocks[a].second;
      for (std::size_t b = 0; b < k; ++b) sss(a, b) = cov(sc.shocks[a].first, sc.shocks[b].first);
    }
    Matrix beta = accel::solve(sss, s);  // Σ_ss⁻¹ s
    std::vector<double> asset(n, 0.0);
    for (std::size_t u = 0; u < n; ++u)
      for (std::size_t b = 0; b < k; ++b) asset[u] += cov(u, sc.shocks[b].first) * beta(b, 0);
    for (const auto& [i, v] : sc.shocks) asset[i] = v;  // the shocked assets move exactly as given
    out.push_back(finish(sc.name, std::move(asset), w, value));
  }
  return out;
}

}  // namespace sextant::risk
