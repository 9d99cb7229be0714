#include "sextant/portfolio/rebalance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "checks.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio {

std::string urgency_of(double d) {
  if (d >= 0.20) return "CRITICAL";
  if (d >= 0.10) return "HIGH";
  if (d >= 0.05) return "MEDIUM";
  return "LOW";
}

namespace {
void check_nonneg(double v, const char* field) {
  if (!(v >= 0) || !std::isfinite(v)) fail(ErrorCode::invalid_argument, field, "'{}' must be a finite number >= 0", field);
}
}  // namespace

RebalanceResult rebalance(const RebalanceInput& in) {
  const std::size_t n = in.target_weights.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "target_weights", "'target_weights' is required");
  detail::check_vector(in.target_weights, n, "target_weights");
  detail::check_vector(in.prices, n, "prices");
  for (std::size_t i = 0; i < n; ++i)
    if (!(in.prices[i] > 0)) fail(ErrorCode::invalid_argument, fmt::format("prices[{}]", i), "prices must be positive");
  if (!in.assets.empty() && in.assets.size() != n)
    fail(ErrorCode::dimension_mismatch, "assets", "'assets' has {} names for {} weights", in.assets.size(), n);
  std::vector<double> lots = in.lot_sizes.empty() ? std::vector<double>(n, 1.0) : in.lot_sizes;
  detail::check_vector(lots, n, "lot_sizes");
  for (std::size_t i = 0; i < n; ++i)
    if (!(lots[i] > 0)) fail(ErrorCode::invalid_argument, fmt::format("lot_sizes[{}]", i), "lot sizes must be positive");
  check_nonneg(in.min_trade_value, "min_trade_value");
  check_nonneg(in.cost_bps, "cost_bps");
  check_nonneg(in.fixed_cost, "fixed_cost");
  check_nonneg(in.half_spread_bps, "half_spread_bps");
  if (!(in.cash_buffer >= 0 && in.cash_buffer < 1)) fail(ErrorCode::invalid_argument, "cash_buffer", "'cash_buffer' must be in [0, 1)");
  if (in.no_trade_band) check_nonneg(*in.no_trade_band, "no_trade_band");
  std::vector<double> spread = in.half_spreads_bps.empty() ? std::vector<double>(n, in.half_spread_bps) : in.half_spreads_bps;
  detail::check_vector(spread, n, "half_spreads_bps");

  RebalanceResult r;
  std::vector<double> shares(n);
  double cash = in.cash;
  if (!std::isfinite(cash)) fail(ErrorCode::non_finite, "cash", "'cash' must be finite");
  if (!in.current_shares.empty()) {
    if (!in.current_weights.empty()) fail(ErrorCode::invalid_argument, "current_weights", "send 'current_shares' or 'current_weights', not both");
    detail::check_vector(in.current_shares, n, "current_shares");
    shares = in.current_shares;
    double v = cash;
    for (std::size_t i = 0; i < n; ++i) v += shares[i] * in.prices[i];
    r.portfolio_value = v;
  } else {
    detail::check_vector(in.current_weights, n, "current_weights");
    if (!in.portfolio_value || !(*in.portfolio_value > 0))
      fail(ErrorCode::invalid_argument, "portfolio_value", "holdings given as weights need a positive 'portfolio_value'");
    r.portfolio_value = *in.portfolio_value;
    double invested = 0;
    for (std::size_t i = 0; i < n; ++i) shares[i] = in.current_weights[i] * r.portfolio_value / in.prices[i], invested += in.current_weights[i];
    cash = r.portfolio_value * (1 - invested);
  }
  const double V = r.portfolio_value;
  if (!(V > 0)) fail(ErrorCode::invalid_argument, "current_shares", "the portfolio value must be positive");
  r.cash_before = cash;
  r.current_weights.resize(n), r.drift.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    r.current_weights[i] = shares[i] * in.prices[i] / V;
    r.drift[i] = r.current_weights[i] - in.target_weights[i];
    r.max_drift = std::max(r.max_drift, std::abs(r.drift[i]));
  }
  r.urgency = urgency_of(r.max_drift);

  // Desired trades in whole lots.
  std::vector<double> trade(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    if (in.no_trade_band && std::abs(r.drift[i]) <= *in.no_trade_band) continue;
    double want = (in.target_weights[i] * V - shares[i] * in.prices[i]) / in.prices[i];
    double q = std::round(want / lots[i]) * lots[i];
    if (in.target_weights[i] == 0 && shares[i] > 0) q = -shares[i];  // full exit
    if (shares[i] >= 0 && in.target_weights[i] >= 0 && q < -shares[i]) q = -shares[i];
    if (std::abs(q * in.prices[i]) < in.min_trade_value || q == 0) continue;
    trade[i] = q;
  }
  auto cost_of = [&](std::size_t i, double q) {
    return q == 0 ? 0.0 : std::abs(q * in.prices[i]) * (in.cost_bps + spread[i]) / 1e4 + in.fixed_cost;
  };
  auto cash_after = [&] {
    double c = cash;
    for (std::size_t i = 0; i < n; ++i) c -= trade[i] * in.prices[i] + cost_of(i, trade[i]);
    return c;
  };
  const double floor = in.cash_buffer * V;
  while (cash_after() < floor - 1e-9 * V) {
    std::size_t big = n;
    for (std::size_t i = 0; i < n; ++i)
      if (trade[i] > 0 && (big == n || trade[i] * in.prices[i] > trade[big] * in.prices[big])) big = i;
    if (big == n) break;  // no buys left to cut: the sells alone cannot fund the buffer
    trade[big] = std::max(0.0, trade[big] - lots[big]);
    if (trade[big] * in.prices[big] < in.min_trade_value) trade[big] = 0;
  }

  double traded = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (trade[i] == 0) continue;
    Trade t;
    t.asset = in.assets.empty() ? std::to_string(i) : in.assets[i];
    t.side = trade[i] > 0 ? "buy" : "sell";
    t.shares = trade[i];
    t.price = in.prices[i];
    t.value = trade[i] * in.prices[i];
    t.cost = cost_of(i, trade[i]);
    traded += std::abs(t.value);
    r.total_cost += t.cost;
    r.trades.push_back(std::move(t));
  }
  r.cash_after = cash_after();
  r.turnover = traded / V;
  const double v_after = V - r.total_cost;
  r.weights_after.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.weights_after[i] = (shares[i] + trade[i]) * in.prices[i] / v_after;
  return r;
}

}  // namespace sextant::portfolio
