#include "sextant/risk/margin.hpp"

#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::risk {

MarginResult calculate_margin(const MarginInput& in) {
  if (!(in.default_margin_rate >= 0 && std::isfinite(in.default_margin_rate)))
    fail(ErrorCode::invalid_argument, "default_margin_rate", "'default_margin_rate' must be >= 0");
  if (!(in.maintenance_ratio >= 0 && std::isfinite(in.maintenance_ratio)))
    fail(ErrorCode::invalid_argument, "maintenance_ratio", "'maintenance_ratio' must be >= 0");
  for (const auto& [sym, rate] : in.margin_rates) {
    if (!in.positions.count(sym))
      fail(ErrorCode::invalid_argument, "margin_rates." + sym, "margin rate given for '{}', which has no position", sym);
    if (!(rate >= 0 && std::isfinite(rate)))
      fail(ErrorCode::invalid_argument, "margin_rates." + sym, "margin rate of '{}' must be >= 0, got {}", sym, rate);
  }
  MarginResult r;
  double value = 0;
  for (const auto& [sym, qty] : in.positions) {
    if (!std::isfinite(qty)) fail(ErrorCode::non_finite, "positions." + sym, "quantity of '{}' is not finite", sym);
    auto p = in.prices.find(sym);
    if (p == in.prices.end()) fail(ErrorCode::invalid_argument, "prices." + sym, "no price for position '{}'", sym);
    if (!(p->second > 0 && std::isfinite(p->second)))
      fail(ErrorCode::invalid_argument, "prices." + sym, "price of '{}' must be positive, got {}", sym, p->second);
    MarginPosition m;
    m.instrument = sym;
    m.quantity = qty;
    m.price = p->second;
    auto rate = in.margin_rates.find(sym);
    m.rate = rate == in.margin_rates.end() ? in.default_margin_rate : rate->second;
    m.market_value = qty * m.price;
    m.requirement = std::fabs(m.market_value) * m.rate;
    r.initial_margin += m.requirement;
    value += m.market_value;
    r.positions.push_back(m);
  }
  r.maintenance_margin = in.maintenance_ratio * r.initial_margin;
  r.equity = in.cash ? *in.cash + value : value;
  r.excess_margin = r.equity - r.maintenance_margin;
  r.margin_utilization = r.equity <= 0 ? 1.0 : r.maintenance_margin / r.equity;
  const double u = r.margin_utilization;
  r.risk_level = u >= 0.90 ? "CRITICAL" : u >= 0.75 ? "HIGH" : u >= 0.50 ? "MEDIUM" : "LOW";
  return r;
}

}  // namespace sextant::risk
