// VaR backtests against scipy on a hand-built hit sequence, and the Basel zone boundaries.
#include <gtest/gtest.h>

#include "sextant/core/error.hpp"
#include "sextant/risk/backtest.hpp"

namespace sextant::risk {
namespace {

TEST(Backtest, KupiecChristoffersenAndZone) {
  // 250 days at 99%: exceptions on rows 10, 11, 100, 180, 240 (one clustered pair).
  std::vector<double> r(250, 0.0), var(250, 0.02);
  for (std::size_t i : {10, 11, 100, 180, 240}) r[i] = -0.03;
  r[50] = -0.02;  // equal to -VaR: not an exception (a loss must exceed VaR)
  auto b = backtest_var(r, var, 0.99);
  EXPECT_EQ(b.exceptions, 5u);
  EXPECT_EQ(b.exception_rows, (std::vector<std::size_t>{10, 11, 100, 180, 240}));
  EXPECT_EQ(b.n00, 240u);
  EXPECT_EQ(b.n01, 4u);
  EXPECT_EQ(b.n10, 4u);
  EXPECT_EQ(b.n11, 1u);
  // scipy.stats.chi2 on the same counts
  EXPECT_NEAR(b.kupiec_lr, 1.956809788230622, 1e-12);
  EXPECT_NEAR(b.kupiec_p_value, 0.1618549171960387, 1e-12);
  EXPECT_NEAR(b.independence_lr, 3.153989286651445, 1e-12);
  EXPECT_NEAR(b.independence_p_value, 0.07574158174658203, 1e-12);
  EXPECT_NEAR(b.conditional_coverage_lr, 5.110799074882067, 1e-12);
  EXPECT_NEAR(b.conditional_coverage_p_value, 0.07766119731190023, 1e-12);
  EXPECT_EQ(kZoneNames.name(b.zone), "yellow");
}

TEST(Backtest, BaselZonesAt250DaysAnd99Percent) {
  auto zone_for = [](int exceptions) {
    std::vector<double> r(250, 0.0), var(250, 0.02);
    for (int i = 0; i < exceptions; ++i) r[std::size_t(i) * 20] = -0.05;
    return kZoneNames.name(backtest_var(r, var, 0.99).zone);
  };
  EXPECT_EQ(zone_for(0), "green");
  EXPECT_EQ(zone_for(4), "green");
  EXPECT_EQ(zone_for(5), "yellow");
  EXPECT_EQ(zone_for(9), "yellow");
  EXPECT_EQ(zone_for(10), "red");
  EXPECT_EQ(zone_for(12), "red");
}

TEST(Backtest, NoExceptionsAndBadInput) {
  std::vector<double> r(100, 0.0), var(100, 0.01);
  auto b = backtest_var(r, var, 0.95);
  EXPECT_EQ(b.exceptions, 0u);
  EXPECT_NEAR(b.kupiec_lr, -2.0 * 100 * std::log(0.95), 1e-12);
  EXPECT_EQ(b.independence_lr, 0.0);
  std::vector<double> short_var(99, 0.01);
  try {
    backtest_var(r, short_var, 0.95);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "var");
  }
  EXPECT_THROW(backtest_var(r, var, 1.0), Error);
}

}  // namespace
}  // namespace sextant::risk
