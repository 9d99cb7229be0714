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
  EXPECT_EQ(r.risk_level, "LOW");
}

TEST(Margin, RiskLevelsAndCash) {
  MarginInput in;
  in.positions = {{"A", 10}};
  in.prices = {{"A", 100}};
  in.default_margin_rate = 1.0;  // maintenance 750
  for (auto [cash, level] : std::vector<std::pair<double, const char*>>{
           {-200, "CRITICAL"}, {-100, "HIGH"}, {-1, "HIGH"}, {400, "MEDIUM"}, {1000, "LOW"}, {-2000, "CRITICAL"}}) {
    in.cash = cash;
    EXPECT_EQ(calculate_margin(in).risk_level, level) << "cash " << cash;
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

}  // namespace
}  // namespace sextant::risk
