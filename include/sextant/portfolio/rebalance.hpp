#pragma once
// Rebalancing: from current holdings to target weights, in whole lots.
//
//  - Portfolio value V = Σ shares·price + cash (holdings in shares), or `portfolio_value` (holdings as
//    weights; cash = V(1 - Σw)).
//  - drift_i = current weight - target weight; urgency from max |drift|: CRITICAL >= 0.20, HIGH >= 0.10,
//    MEDIUM >= 0.05, else LOW. With a no-trade band, assets with |drift| <= band are left alone.
//  - Desired shares (target·V - current value)/price are rounded to the nearest lot; a full exit
//    sells the whole holding even when it is not a lot multiple; trades below min_trade_value are dropped.
//  - Cost of a trade = |value|·(cost_bps + half_spread_bps)/1e4 + fixed_cost.
//  - Cash after = cash + sells - buys - costs must stay >= cash_buffer·V: buys are cut one lot at a time,
//    largest buy first, until it does.
//  - turnover = Σ|trade value| / V (both sides; halve it for the one-way figure).
#include <optional>
#include <string>
#include <vector>

#include "sextant/bus/publisher.hpp"
#include "sextant/core/names.hpp"
#include "sextant/core/side.hpp"

namespace sextant::portfolio {

enum class Urgency { low, medium, high, critical };
inline constexpr auto kUrgencyNames = enum_names<Urgency>(
    {{Urgency::low, "LOW"}, {Urgency::medium, "MEDIUM"}, {Urgency::high, "HIGH"}, {Urgency::critical, "CRITICAL"}});

//! The specification's drift bands: the lowest max |weight drift| of each urgency.
struct DriftBands {
  static constexpr double medium = 0.05, high = 0.10, critical = 0.20;
};

//! Target weights sum to 1 within this; each is at most kMaxTargetWeight in size.
inline constexpr double kWeightSumTolerance = 1e-9, kMaxTargetWeight = 1000.0;
//! cost_bps and each half spread are in [0, 10,000] basis points.
inline constexpr double kMaxCostBps = 10000.0;

struct RebalanceInput {
  std::vector<std::string> assets;
  std::vector<double> prices;
  std::vector<double> current_shares;   //!< either shares ...
  std::vector<double> current_weights;  //!< ... or weights with portfolio_value
  std::vector<double> target_weights;
  std::optional<double> portfolio_value;
  double cash = 0;
  std::vector<double> lot_sizes;        //!< per asset; empty: 1
  double min_trade_value = 0;
  double cash_buffer = 0;               //!< fraction of V kept in cash
  double cost_bps = 0, fixed_cost = 0, half_spread_bps = 0;
  std::vector<double> half_spreads_bps; //!< per asset, overrides half_spread_bps
  std::optional<double> no_trade_band;
};

struct Trade {
  std::string asset;
  Side side = Side::buy;
  double shares = 0, price = 0, value = 0, cost = 0;
};

struct RebalanceResult {
  double portfolio_value = 0, cash_before = 0, cash_after = 0, total_cost = 0, turnover = 0;
  std::vector<double> current_weights, drift, weights_after;
  double max_drift = 0;
  Urgency urgency = Urgency::low;
  std::vector<Trade> trades;
};

Urgency urgency_of(double max_abs_drift);

//! Throws Error naming the field for mismatched lengths, non-positive prices or lots, negative costs.
RebalanceResult rebalance(const RebalanceInput& in);

//! The lowest urgency that publishes a portfolio_update.
inline constexpr Urgency kUpdateUrgency = Urgency::high;
//! Publishes a PortfolioUpdate on portfolio.rebalance when r is at kUpdateUrgency or above (high priority
//! when CRITICAL); true when it did.
bool publish_rebalance_update(const RebalanceResult& r, bus::Publisher& out);

}  // namespace sextant::portfolio
