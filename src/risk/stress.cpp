#include "sextant/risk/stress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

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

std::vector<ScenarioResult> stress_test(StressRequest req, const std::function<void()>& checkpoint) {
  const auto& returns = req.returns;
  const auto& dates = req.dates;
  if (req.covariance) {
    if (!req.ranges.empty()) fail(ErrorCode::invalid_argument, "scenarios", "historical scenarios need 'returns'");
    if (req.worst) fail(ErrorCode::invalid_argument, "worst_windows", "the worst windows need 'returns'");
    if (!dates.empty()) fail(ErrorCode::invalid_argument, "dates", "'dates' label the rows of 'returns'");
  }
  const std::size_t n = returns ? returns->cols() : req.covariance->cols();
  if (req.weights.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries for {} assets", req.weights.size(), n);
  if (returns && !dates.empty() && dates.size() != returns->rows())
    fail(ErrorCode::dimension_mismatch, "dates", "'dates' has {} entries, 'returns' has {} rows", dates.size(), returns->rows());
  // Each scenario is N P&L values and N asset returns out of a few bytes in: refuse what the memory
  // pool cannot hold before computing any of it.
  const double scenario_count = double(req.ranges.size() + req.shocks.size()) + (req.worst ? double(req.worst->first) : 0.0);
  accel::require_memory_pool(2.0 * 32.0 * scenario_count * double(n), "scenarios", "the scenario results");
  std::unordered_map<std::string_view, std::size_t> date_row;  // the first row of each date, as a scan finds it
  for (std::size_t r = dates.size(); r-- > 0;) date_row[dates[r]] = r;
  auto row_of = [&](const std::string& d, const std::string& field) {
    auto it = date_row.find(d);
    if (it == date_row.end()) fail(ErrorCode::invalid_argument, field, "date '{}' is not in 'dates'", d);
    return it->second;
  };
  std::vector<RangeScenario> rs;
  for (const auto& r : req.ranges) {
    RangeScenario s{r.name, 0, 0};
    if (r.start_row && r.end_row) s.start_row = std::size_t(*r.start_row), s.end_row = std::size_t(*r.end_row);
    else if (!r.start.empty() && !r.end.empty()) s.start_row = row_of(r.start, "scenarios.start"), s.end_row = row_of(r.end, "scenarios.end");
    else fail(ErrorCode::invalid_argument, "scenarios", "scenario '{}' needs start/end dates (with 'dates') or start_row/end_row", r.name);
    rs.push_back(s);
  }
  std::vector<ShockScenario> ss;
  for (const auto& [name, moves] : req.shocks) {
    ShockScenario s{name, {}};
    for (const auto& [asset, move] : moves) {
      auto it = std::find(req.symbols.begin(), req.symbols.end(), asset);
      std::size_t idx;
      if (it != req.symbols.end()) idx = std::size_t(it - req.symbols.begin());
      else {
        char* end = nullptr;
        long v = std::strtol(asset.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || std::size_t(v) >= n)
          fail(ErrorCode::invalid_argument, "shocks." + asset, "'{}' is neither a symbol nor a column index below {}", asset, n);
        idx = std::size_t(v);
      }
      s.shocks.emplace_back(idx, move);
    }
    ss.push_back(s);
  }
  std::vector<ScenarioResult> results;
  if (returns) results = historical_ranges(*returns, req.weights, req.value, rs, checkpoint);
  if (req.worst) {
    auto wr = worst_windows(*returns, req.weights, req.value, req.worst->first, req.worst->second);
    results.insert(results.end(), wr.begin(), wr.end());
  }
  if (!ss.empty()) {
    const Matrix sigma = req.covariance ? std::move(*req.covariance) : analytics::estimate_covariance(*returns, req.covariance_options).covariance;
    auto hr = hypothetical_shocks(sigma, req.weights, req.value, ss, checkpoint);
    results.insert(results.end(), hr.begin(), hr.end());
  }
  return results;
}

}  // namespace sextant::risk
