#include "sextant/portfolio/rebalance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "checks.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio {

Urgency urgency_of(double d) {
  if (d >= DriftBands::critical) return Urgency::critical;
  if (d >= DriftBands::high) return Urgency::high;
  if (d >= DriftBands::medium) return Urgency::medium;
  return Urgency::low;
}

namespace {
void check_nonneg(double v, const char* field) {
  if (!(v >= 0) || !std::isfinite(v)) fail(ErrorCode::invalid_argument, field, "'{}' must be a finite number >= 0", field);
}
// Costs in basis points of the traded value: 10,000 bps is the whole value, past which a trade would
// cost more than it moves (and the cash after it goes negative).
void check_bps(double v, const std::string& field) {
  if (!(v >= 0 && v <= kMaxCostBps))
    fail(ErrorCode::invalid_argument, field, "'{}' must be in [0, {}] basis points, got {}", field, kMaxCostBps, v);
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
  // A weight past a thousand times the portfolio is a unit mistake, not a target (its trade would
  // also overflow the lot arithmetic below).
  for (std::size_t i = 0; i < n; ++i)
    if (std::abs(in.target_weights[i]) > kMaxTargetWeight)
      fail(ErrorCode::invalid_argument, fmt::format("target_weights[{}]", i), "target weights are fractions of the portfolio, at most {} in size; got {}",
           kMaxTargetWeight, in.target_weights[i]);
  double total = 0;
  for (double w : in.target_weights) total += w;
  if (!(std::abs(total - 1.0) <= kWeightSumTolerance))
    fail(ErrorCode::invalid_argument, "target_weights",
         "'target_weights' must sum to 1 (the whole portfolio; 'cash_buffer' sets the cash kept), got {}", total);
  check_nonneg(in.min_trade_value, "min_trade_value");
  check_bps(in.cost_bps, "cost_bps");
  check_nonneg(in.fixed_cost, "fixed_cost");
  check_bps(in.half_spread_bps, "half_spread_bps");
  if (!(in.cash_buffer >= 0 && in.cash_buffer < 1)) fail(ErrorCode::invalid_argument, "cash_buffer", "'cash_buffer' must be in [0, 1)");
  if (in.no_trade_band) check_nonneg(*in.no_trade_band, "no_trade_band");
  std::vector<double> spread = in.half_spreads_bps.empty() ? std::vector<double>(n, in.half_spread_bps) : in.half_spreads_bps;
  detail::check_vector(spread, n, "half_spreads_bps");
  for (std::size_t i = 0; i < n; ++i) check_bps(spread[i], fmt::format("half_spread_bps[{}]", i));

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
  if (!std::isfinite(V))
    fail(ErrorCode::non_finite, "current_shares", "the portfolio value overflows double precision");
  if (!(V > 0)) fail(ErrorCode::invalid_argument, "current_shares", "the portfolio value must be positive");
  // Trades are counted in lots; past 2^52 lots, subtracting one no longer changes a double.
  for (std::size_t i = 0; i < n; ++i) {
    const double lots_in_v = V / (in.prices[i] * lots[i]), lots_held = std::abs(shares[i]) / lots[i];
    if (lots_in_v >= 0x1p52 || lots_held >= 0x1p52)
      fail(ErrorCode::invalid_argument, fmt::format("lot_sizes[{}]", i),
           "asset {} would trade up to {:.3g} lots, past the 2^52 that double precision counts exactly", i,
           std::max(lots_in_v, lots_held));
  }
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
    if (!(std::abs(want / lots[i]) < 0x1p52))  // the checks above leave only the weight to blame
      fail(ErrorCode::invalid_argument, fmt::format("target_weights[{}]", i),
           "target weight {} means a trade of {:.3g} lots, past the 2^52 that double precision counts exactly",
           in.target_weights[i], std::abs(want / lots[i]));
    double q = std::round(want / lots[i]) * lots[i];
    if (in.target_weights[i] == 0 && shares[i] > 0) q = -shares[i];  // full exit
    if (shares[i] >= 0 && in.target_weights[i] >= 0 && q < -shares[i]) q = -shares[i];
    if (std::abs(q * in.prices[i]) < in.min_trade_value || q == 0) continue;
    trade[i] = q;
  }
  auto cost_of = [&](std::size_t i, double q) {
    return q == 0 ? 0.0 : std::abs(q * in.prices[i]) * (in.cost_bps + spread[i]) / 1e4 + in.fixed_cost;
  };
  auto cash_of = [&](const std::vector<double>& t) {
    double c = cash;
    for (std::size_t i = 0; i < n; ++i) c -= t[i] * in.prices[i] + cost_of(i, t[i]);
    return c;
  };
  auto cash_after = [&] { return cash_of(trade); };
  const double floor = in.cash_buffer * V;
  auto short_of_floor = [&](double c) { return c < floor - 1e-9 * V; };

  // Buys are cut one lot at a time, largest value first, until cash covers the floor; every cut raises
  // cash. Taken literally that is shortfall/(lot value) steps: 10^17 for a price of 2^63, which hung
  // the server. So first jump: the first time no buy is worth more than a level L, each buy worth
  // v > L has lost exactly ceil((v − L)/(lot·price)) lots (or gone below min_trade_value and been
  // dropped), whatever the order of the cuts. The literal process passes that state whenever cash
  // there is still short, so bisection finds the lowest such L to within one lot of every buy, and
  // the literal loop finishes from there in at most one cut per buy.
  auto cut_to_level = [&](double level) {
    std::vector<double> t = trade;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(t[i] > 0) || t[i] * in.prices[i] <= level) continue;
      const double lot_value = lots[i] * in.prices[i];
      double q = std::max(0.0, t[i] - std::ceil((t[i] * in.prices[i] - level) / lot_value) * lots[i]);
      // The ceil may be a lot off where the division rounds; settle on the first multiple <= level.
      if (q > 0 && q * in.prices[i] > level) q = std::max(0.0, q - lots[i]);
      else if (q + lots[i] < t[i] && (q + lots[i]) * in.prices[i] <= level) q += lots[i];
      t[i] = q * in.prices[i] < in.min_trade_value ? 0.0 : q;
    }
    return t;
  };
  if (short_of_floor(cash_after())) {
    double hi = 0, min_lot_value = INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(trade[i] > 0)) continue;
      hi = std::max(hi, trade[i] * in.prices[i]);
      min_lot_value = std::min(min_lot_value, lots[i] * in.prices[i]);
    }
    double lo = 0;
    if (short_of_floor(cash_of(cut_to_level(lo)))) {
      hi = lo;  // even without any buys cash is short: the literal loop would cut them all
    } else {
      while (hi - lo > min_lot_value) {  // cash is short at hi, enough at lo
        const double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        (short_of_floor(cash_of(cut_to_level(mid))) ? hi : lo) = mid;
      }
    }
    trade = cut_to_level(hi);
  }
  for (std::size_t step = 0; short_of_floor(cash_after()); ++step) {
    if (step > 2 * n) fail(ErrorCode::internal, "", "rebalance: cutting buys did not converge");
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
    t.side = trade[i] > 0 ? Side::buy : Side::sell;
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

bool publish_rebalance_update(const RebalanceResult& r, bus::Publisher& out) {
  if (r.urgency < kUpdateUrgency) return false;
  out.publish(bus::PortfolioUpdate{.kind = "rebalance",
                                   .urgency = std::string(kUrgencyNames.name(r.urgency)),
                                   .max_drift = r.max_drift,
                                   .portfolio_value = r.portfolio_value,
                                   .turnover = r.turnover,
                                   .total_cost = r.total_cost,
                                   .trades = r.trades.size()},
              r.urgency == Urgency::critical ? bus::Priority::high : bus::Priority::normal);
  return true;
}

}  // namespace sextant::portfolio
