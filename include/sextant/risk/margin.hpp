#pragma once
// Real-time margin (the original specification's rules):
//   requirement_i = |qty_i · price_i| · rate_i (rate default 0.10); initial = Σ requirement;
//   maintenance = maintenance_ratio (0.75) · initial; equity = cash + Σ qty·price (without cash:
//   Σ qty·price); excess = equity - maintenance; utilisation = maintenance / equity (1 when equity <= 0);
//   risk level CRITICAL >= 0.90, HIGH >= 0.75, MEDIUM >= 0.50, else LOW.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sextant::risk {

struct MarginPosition {
  std::string instrument;
  double quantity = 0, price = 0, rate = 0, market_value = 0, requirement = 0;
};

struct MarginInput {
  std::map<std::string, double> positions, prices, margin_rates;
  double default_margin_rate = 0.10;
  double maintenance_ratio = 0.75;
  std::optional<double> cash;
};

struct MarginResult {
  double initial_margin = 0, maintenance_margin = 0, equity = 0, excess_margin = 0, margin_utilization = 0;
  std::string risk_level;
  std::vector<MarginPosition> positions;
};

//! Throws Error naming the field for a position without a price, a negative rate, or non-finite values.
MarginResult calculate_margin(const MarginInput& in);

}  // namespace sextant::risk
