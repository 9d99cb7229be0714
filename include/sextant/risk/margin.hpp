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

#include "sextant/bus/publisher.hpp"
#include "sextant/core/names.hpp"

namespace sextant::risk {

struct MarginPosition {
  std::string instrument;
  double quantity = 0, price = 0, rate = 0, market_value = 0, requirement = 0;
};

enum class RiskLevel { low, medium, high, critical };
inline constexpr auto kRiskLevelNames = enum_names<RiskLevel>(
    {{RiskLevel::low, "LOW"}, {RiskLevel::medium, "MEDIUM"}, {RiskLevel::high, "HIGH"}, {RiskLevel::critical, "CRITICAL"}});

//! The specification's margin bands: the lowest utilisation (maintenance / equity) of each level.
struct MarginBands {
  static constexpr double medium = 0.50, high = 0.75, critical = 0.90;
};
RiskLevel risk_level_of(double margin_utilization);

struct MarginInput {
  std::map<std::string, double> positions, prices, margin_rates;
  double default_margin_rate = 0.10;
  double maintenance_ratio = 0.75;
  std::optional<double> cash;
};

struct MarginResult {
  double initial_margin = 0, maintenance_margin = 0, equity = 0, excess_margin = 0, margin_utilization = 0;
  RiskLevel risk_level = RiskLevel::low;
  std::vector<MarginPosition> positions;
};

//! Throws Error naming the field for a position without a price, a negative rate, or non-finite values.
MarginResult calculate_margin(const MarginInput& in);

//! The lowest risk level that raises a risk_alert.
inline constexpr RiskLevel kAlertLevel = RiskLevel::high;
//! Publishes a high-priority RiskAlert on risk.alerts when r is at kAlertLevel or above; true when it did.
bool publish_margin_alert(const MarginResult& r, bus::Publisher& out);

// Scenario-based portfolio margin (SPAN-like).
//   Per instrument i: value V_i = qty·price, price scan range s_i (a fraction of price, default 0.10),
//   volatility scan range v_i (vol points, default 0) and vega_i (P&L per vol point, default 0: a
//   delta-one position). The 16 scenarios k are SPAN's: price move f_k ∈ {0, ±1/3, ±2/3, ±1} of the scan
//   range, each with volatility up and down (14), plus ±2 ranges at 35% cover (2):
//     P&L_i(k) = cover_k · (V_i·f_k·s_i + vega_i·d_k·v_i).
//   Scanning risk SR_i = max(0, max_k -P&L_i(k)), signed +1 when its worst scenario is a price fall and
//   -1 when a rise: S_i = sign_i·SR_i.
//   Undiversified margin = Σ SR_i. With a correlation ρ between the instruments' prices, the
//   diversified margin is √(max(0, SᵀρS)): a perfectly correlated hedge offsets fully, uncorrelated risks
//   add in quadrature, perfectly correlated risks in the same direction add up (no offset).
//   Without a correlation there are no offsets: diversified = undiversified.
struct ScenarioMarginInput {
  std::vector<std::string> instruments;       //!< order of the correlation matrix
  std::map<std::string, double> positions, prices;
  std::map<std::string, double> price_scan_ranges, vol_scan_ranges, vegas;
  double default_price_scan = 0.10;
  std::vector<std::vector<double>> correlation;  //!< empty: no offsets
};

struct ScenarioMarginInstrument {
  std::string instrument;
  double market_value = 0, price_scan = 0, vol_scan = 0, vega = 0;
  std::vector<double> scenario_pnl;  //!< 16 values, SPAN's order
  double scanning_risk = 0;
  int worst_scenario = 0;            //!< 1-based, SPAN's numbering
  int direction = 0;                 //!< +1 a price fall hurts, -1 a rise, 0 no loss
};

struct ScenarioMarginResult {
  std::vector<ScenarioMarginInstrument> instruments;
  double undiversified = 0, diversified = 0, offset = 0;
};

//! The 16 (price move in scan ranges, volatility direction, cover) scenarios.
struct SpanScenario {
  double price_move;
  int vol_direction;
  double cover;
};
const std::vector<SpanScenario>& span_scenarios();

ScenarioMarginResult scenario_margin(const ScenarioMarginInput& in);

}  // namespace sextant::risk
