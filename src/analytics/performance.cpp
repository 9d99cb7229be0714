#include "sextant/analytics/performance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"

namespace sextant::analytics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean(std::span<const double> v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

double sample_var(std::span<const double> v) {
  double m = mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / double(v.size() - 1);
}

double ratio(double a, double b) { return b != 0.0 ? a / b : kNaN; }

}  // namespace

PerformanceStats performance(std::span<const double> r, std::span<const double> b, const PerformanceOptions& opt) {
  const std::size_t n = r.size();
  if (n < 2) fail(ErrorCode::dimension_mismatch, "returns", "'returns' needs at least 2 periods, got {}", n);
  if (!(opt.periods_per_year > 0))
    fail(ErrorCode::invalid_argument, "periods_per_year", "'periods_per_year' must be positive, got {}", opt.periods_per_year);
  if (!(opt.confidence > 0.0 && opt.confidence < 1.0))
    fail(ErrorCode::invalid_argument, "confidence", "'confidence' must be in (0, 1), got {}", opt.confidence);
  if (!b.empty() && b.size() != n)
    fail(ErrorCode::dimension_mismatch, "benchmark", "'benchmark' has {} periods, 'returns' has {}", b.size(), n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(r[i]) || r[i] <= -1.0)
      fail(ErrorCode::invalid_argument, "returns", "'returns'[{}] = {}: simple returns must be finite and > -1", i, r[i]);

  const double P = opt.periods_per_year, rf_p = opt.risk_free_rate / P;
  PerformanceStats s{};
  s.periods = n;
  double wealth = 1.0, peak = 1.0;
  std::size_t below = 0;
  for (double x : r) {
    wealth *= 1.0 + x;
    if (wealth >= peak) {
      peak = wealth;
      below = 0;
    } else {
      s.max_drawdown = std::max(s.max_drawdown, 1.0 - wealth / peak);
      s.max_drawdown_duration = std::max(s.max_drawdown_duration, ++below);
    }
  }
  s.total_return = wealth - 1.0;
  s.annualized_return = std::pow(wealth, P / double(n)) - 1.0;
  const double m = mean(r), sd = std::sqrt(sample_var(r));
  s.volatility = sd * std::sqrt(P);
  s.sharpe = ratio(m - rf_p, sd) * std::sqrt(P);
  double down = 0, gains = 0, losses = 0, above_t = 0, below_t = 0;
  std::size_t wins = 0;
  for (double x : r) {
    double d = std::min(x - rf_p, 0.0);
    down += d * d;
    if (x > 0) gains += x, ++wins;
    if (x < 0) losses -= x;
    above_t += std::max(x - rf_p, 0.0);
    below_t += std::max(rf_p - x, 0.0);
  }
  s.sortino = ratio((m - rf_p) * P, std::sqrt(down / double(n)) * std::sqrt(P));
  s.calmar = ratio(s.annualized_return, s.max_drawdown);
  s.omega = ratio(above_t, below_t);
  s.win_rate = double(wins) / double(n);
  s.profit_factor = ratio(gains, losses);
  s.best = *std::max_element(r.begin(), r.end());
  s.worst = *std::min_element(r.begin(), r.end());
  s.tail_ratio = ratio(std::abs(quantile_linear(r, 0.95)), std::abs(quantile_linear(r, 0.05)));
  const double q = quantile_linear(r, 1.0 - opt.confidence);
  s.var = -q;
  double tail = 0;
  std::size_t tail_n = 0;
  for (double x : r)
    if (x <= q) tail += x, ++tail_n;
  s.cvar = -tail / double(tail_n);
  {
    const Moments mo = standardised_moments(r, m);
    s.skew = sample_skew(mo, double(n));
    s.kurtosis = sample_excess_kurtosis(mo, double(n));
  }
  if (!b.empty()) {
    const double mb = mean(b);
    double cov = 0, up_r = 0, up_b = 0, dn_r = 0, dn_b = 0;
    std::vector<double> active(n);
    for (std::size_t i = 0; i < n; ++i) {
      cov += (r[i] - m) * (b[i] - mb);
      active[i] = r[i] - b[i];
      if (b[i] > 0) up_r += r[i], up_b += b[i];
      if (b[i] < 0) dn_r += r[i], dn_b += b[i];
    }
    cov /= double(n - 1);
    s.beta = ratio(cov, sample_var(b));
    s.alpha = ((m - rf_p) - *s.beta * (mb - rf_p)) * P;
    s.tracking_error = std::sqrt(sample_var(active)) * std::sqrt(P);
    s.information_ratio = ratio(mean(active) * P, *s.tracking_error);
    s.treynor = ratio((m - rf_p) * P, *s.beta);
    s.up_capture = ratio(up_r, up_b);  // equal counts cancel: mean ratio = sum ratio
    s.down_capture = ratio(dn_r, dn_b);
  }
  return s;
}

}  // namespace sextant::analytics
