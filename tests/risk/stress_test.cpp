#include <gtest/gtest.h>

#include <cmath>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/stress.hpp"

namespace sextant::risk {
namespace {

TEST(Stress, HistoricalRangeCompoundsAndSumsPnl) {
  Matrix x(4, 2);
  double v[] = {0.1, 0.0, -0.5, 0.02, 0.2, -0.01, 0.0, 0.0};
  std::copy(v, v + 8, x.data());
  std::vector<double> w{0.6, 0.4};
  auto r = historical_ranges(x, w, 1000.0, {{"crash", 1, 2}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].asset_returns[0], 0.5 * 1.2 - 1.0, 1e-15);
  EXPECT_NEAR(r[0].asset_returns[1], 1.02 * 0.99 - 1.0, 1e-15);
  EXPECT_NEAR(r[0].pnl[0], 1000 * 0.6 * (0.5 * 1.2 - 1.0), 1e-12);
  EXPECT_NEAR(r[0].total, r[0].pnl[0] + r[0].pnl[1], 1e-12);
  EXPECT_THROW(historical_ranges(x, w, 1.0, {{"bad", 2, 9}}), Error);
}

TEST(Stress, WorstWindowsDoNotOverlap) {
  Matrix x(10, 1);
  double v[] = {0.01, -0.05, -0.04, 0.02, 0.0, -0.03, -0.03, 0.01, -0.06, 0.02};
  std::copy(v, v + 10, x.data());
  auto r = worst_windows(x, std::vector<double>{1.0}, 1.0, 2, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].start_row, 1u);  // rows 1-2: (0.95)(0.96) - 1 = -0.088
  EXPECT_EQ(r[1].start_row, 5u);  // rows 5-6: (0.97)^2 - 1 = -0.0591
  EXPECT_NEAR(r[0].total, 0.95 * 0.96 - 1.0, 1e-15);
}

TEST(Stress, ShocksPropagateByTheConditionalMean) {
  Matrix cov(3, 3);
  double c[] = {0.04, 0.01, 0.0, 0.01, 0.09, 0.0, 0.0, 0.0, 0.01};
  std::copy(c, c + 9, cov.data());
  auto r = hypothetical_shocks(cov, std::vector<double>{0.5, 0.3, 0.2}, 100.0, {{"equity -10%", {{0, -0.10}}}});
  EXPECT_NEAR(r[0].asset_returns[0], -0.10, 1e-15);
  EXPECT_NEAR(r[0].asset_returns[1], 0.01 / 0.04 * -0.10, 1e-15);  // β = Σ10/Σ00
  EXPECT_NEAR(r[0].asset_returns[2], 0.0, 1e-15);                  // uncorrelated
  EXPECT_NEAR(r[0].total, 100 * (0.5 * -0.10 + 0.3 * -0.025), 1e-12);
}

TEST(Stress, IncrementalVarAgreesToFirstOrder) {
  Matrix cov(2, 2);
  double c[] = {0.04, 0.006, 0.006, 0.01};
  std::copy(c, c + 4, cov.data());
  std::vector<double> mu{0.0, 0.0}, w{0.5, 0.5}, trade{-0.001, 0.001};  // sell the riskier asset 0
  auto r = incremental_var(mu, cov, w, trade, 0.99, true);
  EXPECT_NEAR(r.incremental, r.after - r.before, 1e-15);
  EXPECT_NEAR(r.incremental, r.first_order, 1e-6);
  EXPECT_LT(r.incremental, 0.0) << "selling the riskier asset lowers VaR";
}

}  // namespace
}  // namespace sextant::risk
