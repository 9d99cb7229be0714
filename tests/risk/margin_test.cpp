#include <gtest/gtest.h>

#include "sextant/core/error.hpp"
#include "sextant/risk/margin.hpp"

namespace sextant::risk {
namespace {

TEST(Margin, TheWorkedExampleHolds) {
  // A = 10 @ 100 at rate 0.2, B = -5 @ 50 at the default rate: total 225, maintenance 168.75,
  // excess 581.25, utilisation 0.225, LOW.
  MarginInput in;
  in.positions = {{"A", 10}, {"B", -5}};
  in.prices = {{"A", 100}, {"B", 50}};
  in.margin_rates = {{"A", 0.2}};
  auto r = calculate_margin(in);
  EXPECT_DOUBLE_EQ(r.initial_margin, 225.0);
  EXPECT_DOUBLE_EQ(r.maintenance_margin, 168.75);
  EXPECT_DOUBLE_EQ(r.equity, 750.0);
  EXPECT_DOUBLE_EQ(r.excess_margin, 581.25);
  EXPECT_DOUBLE_EQ(r.margin_utilization, 0.225);
  EXPECT_EQ(kRiskLevelNames.name(r.risk_level), "LOW");
}

TEST(Margin, RiskLevelsAndCash) {
  MarginInput in;
  in.positions = {{"A", 10}};
  in.prices = {{"A", 100}};
  in.default_margin_rate = 1.0;  // maintenance 750
  for (auto [cash, level] : std::vector<std::pair<double, const char*>>{
           {-200, "CRITICAL"}, {-100, "HIGH"}, {-1, "HIGH"}, {400, "MEDIUM"}, {1000, "LOW"}, {-2000, "CRITICAL"}}) {
    in.cash = cash;
    EXPECT_EQ(kRiskLevelNames.name(calculate_margin(in).risk_level), level) << "cash " << cash;
  }
  in.cash = -2000;
  EXPECT_EQ(calculate_margin(in).margin_utilization, 1.0) << "equity <= 0";
}

TEST(Margin, BadInputNamesTheField) {
  MarginInput in;
  in.positions = {{"A", 10}};
  try {
    calculate_margin(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "prices.A");
  }
  in.prices = {{"A", 100}};
  in.margin_rates = {{"Z", 0.1}};
  EXPECT_THROW(calculate_margin(in), Error);
}

TEST(ScenarioMargin, SpanGridScanningRiskAndCorrelationOffsets) {
  ASSERT_EQ(span_scenarios().size(), 16u);
  ScenarioMarginInput in;
  in.instruments = {"A", "B"};
  in.positions = {{"A", 10}, {"B", -5}};
  in.prices = {{"A", 100}, {"B", 50}};
  in.price_scan_ranges = {{"A", 0.15}};  // B takes the default 0.10
  auto r = scenario_margin(in);
  ASSERT_EQ(r.instruments.size(), 2u);
  // A: long 1,000, worst is the full fall (150) over the extreme fall at 35% cover (0.35·2·150 = 105).
  EXPECT_DOUBLE_EQ(r.instruments[0].scanning_risk, 150);
  EXPECT_EQ(r.instruments[0].worst_scenario, 13);  // SPAN: price down 3/3, volatility up
  EXPECT_EQ(r.instruments[0].direction, 1);
  EXPECT_DOUBLE_EQ(r.instruments[0].scenario_pnl[14], 0.35 * 2 * 150);  // scenario 15: extreme rise
  // B: short 250, loses 25 on the full rise.
  EXPECT_DOUBLE_EQ(r.instruments[1].scanning_risk, 25);
  EXPECT_EQ(r.instruments[1].worst_scenario, 11);
  EXPECT_EQ(r.instruments[1].direction, -1);
  EXPECT_DOUBLE_EQ(r.undiversified, 175);
  EXPECT_DOUBLE_EQ(r.diversified, 175);  // no correlation: no offsets
  in.correlation = {{1, 0.8}, {0.8, 1}};
  r = scenario_margin(in);
  // S = (150, -25): √(150² + 25² - 2·0.8·150·25) = √17125.
  EXPECT_NEAR(r.diversified, std::sqrt(17125.0), 1e-12);
  EXPECT_NEAR(r.offset, 175 - std::sqrt(17125.0), 1e-12);
  // A perfectly correlated hedge offsets fully; the same risks uncorrelated add in quadrature.
  ScenarioMarginInput h;
  h.positions = {{"A", 10}, {"B", -20}};
  h.prices = {{"A", 100}, {"B", 50}};
  h.instruments = {"A", "B"};
  h.correlation = {{1, 1}, {1, 1}};
  EXPECT_NEAR(scenario_margin(h).diversified, 0.0, 1e-12);
  h.correlation = {{1, 0}, {0, 1}};
  EXPECT_NEAR(scenario_margin(h).diversified, std::sqrt(2.0) * 100, 1e-12);
  // Volatility scenarios move a position with vega: ±vega·scan at full cover.
  ScenarioMarginInput v;
  v.positions = {{"OPT", 0}};
  v.prices = {{"OPT", 5}};
  v.vegas = {{"OPT", 2}};
  v.vol_scan_ranges = {{"OPT", 5}};
  auto rv = scenario_margin(v);
  EXPECT_DOUBLE_EQ(rv.instruments[0].scanning_risk, 10);
  EXPECT_EQ(rv.instruments[0].worst_scenario, 2);  // price unchanged, volatility down
}

TEST(ScenarioMargin, BadInputNamesTheField) {
  ScenarioMarginInput in;
  in.positions = {{"A", 1}};
  in.prices = {{"A", 10}};
  in.vegas = {{"Z", 1}};
  try {
    scenario_margin(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "portfolio_margin.vegas.Z");
  }
  in.vegas.clear();
  in.correlation = {{1, 2}, {2, 1}};
  try {
    scenario_margin(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "portfolio_margin.correlation");
  }
}

}  // namespace
}  // namespace sextant::risk
