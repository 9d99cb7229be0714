#include "sextant/risk/backtest.hpp"

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::risk {
namespace {

double xlogy(double x, double y) { return x == 0.0 ? 0.0 : x * std::log(y); }

double chi2_sf(double x, double dof) {
  if (!(x > 0)) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(dof), x));
}

}  // namespace

BacktestResult backtest_var(std::span<const double> r, std::span<const double> var, double confidence) {
  if (r.size() != var.size())
    fail(ErrorCode::dimension_mismatch, "var", "'var' has {} values, 'returns' has {}", var.size(), r.size());
  if (r.size() < 2) fail(ErrorCode::dimension_mismatch, "returns", "'returns' needs at least 2 periods");
  if (!(confidence > 0.0 && confidence < 1.0))
    fail(ErrorCode::invalid_argument, "confidence", "'confidence' must be in (0, 1), got {}", confidence);
  BacktestResult b;
  const std::size_t t = r.size();
  const double p = 1.0 - confidence;
  std::vector<int> hit(t);
  for (std::size_t i = 0; i < t; ++i) {
    if (!std::isfinite(r[i])) fail(ErrorCode::non_finite, "returns", "'returns'[{}] is not finite", i);
    if (!std::isfinite(var[i])) fail(ErrorCode::non_finite, "var", "'var'[{}] is not finite", i);
    hit[i] = r[i] < -var[i];
    if (hit[i]) b.exception_rows.push_back(i);
  }
  const double x = double(b.exception_rows.size()), n = double(t);
  b.observations = t;
  b.exceptions = b.exception_rows.size();
  b.expected_exceptions = p * n;
  b.exception_rate = x / n;
  b.kupiec_lr = -2.0 * (xlogy(n - x, 1 - p) + xlogy(x, p)) + 2.0 * (xlogy(n - x, 1 - x / n) + xlogy(x, x / n));
  b.kupiec_p_value = chi2_sf(b.kupiec_lr, 1);
  for (std::size_t i = 1; i < t; ++i) {
    if (!hit[i - 1]) (hit[i] ? b.n01 : b.n00)++;
    else (hit[i] ? b.n11 : b.n10)++;
  }
  const double n00 = double(b.n00), n01 = double(b.n01), n10 = double(b.n10), n11 = double(b.n11);
  const double pi0 = n00 + n01 > 0 ? n01 / (n00 + n01) : 0.0, pi1 = n10 + n11 > 0 ? n11 / (n10 + n11) : 0.0;
  const double pi = (n01 + n11) / (n00 + n01 + n10 + n11);
  b.independence_lr = -2.0 * (xlogy(n00 + n10, 1 - pi) + xlogy(n01 + n11, pi)) +
                      2.0 * (xlogy(n00, 1 - pi0) + xlogy(n01, pi0) + xlogy(n10, 1 - pi1) + xlogy(n11, pi1));
  b.independence_p_value = chi2_sf(b.independence_lr, 1);
  b.conditional_coverage_lr = b.kupiec_lr + b.independence_lr;
  b.conditional_coverage_p_value = chi2_sf(b.conditional_coverage_lr, 2);
  b.zone_cumulative_probability = boost::math::cdf(boost::math::binomial(n, p), x);
  const double cp = b.zone_cumulative_probability;
  b.zone = cp < TrafficLightBands::yellow ? TrafficLightZone::green
           : cp < TrafficLightBands::red  ? TrafficLightZone::yellow
                                          : TrafficLightZone::red;
  return b;
}

}  // namespace sextant::risk
