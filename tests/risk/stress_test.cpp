#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

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

// The block-product ranking against the row-by-row definition: every window compounded on its own,
// worst first, skipping overlaps. Lengths cover 1, T, and T not a multiple of the length.
TEST(Stress, WorstWindowsMatchTheRowByRowDefinition) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(0.0, 0.02);
  for (std::size_t t : {1, 7, 40, 97}) {
    Matrix x(t, 3);
    for (std::size_t r = 0; r < t; ++r)
      for (std::size_t i = 0; i < 3; ++i) x(r, i) = z(rng);
    const std::vector<double> w{0.5, -0.2, 0.7};
    for (std::size_t length : {std::size_t(1), std::size_t(3), std::size_t(5), t}) {
      if (length > t) continue;
      std::vector<std::pair<double, std::size_t>> all;
      for (std::size_t s = 0; s + length <= t; ++s) {
        double ret = 0;
        for (std::size_t i = 0; i < 3; ++i) {
          double g = 1;
          for (std::size_t r = s; r < s + length; ++r) g *= 1 + x(r, i);
          ret += w[i] * (g - 1);
        }
        all.emplace_back(ret, s);
      }
      std::sort(all.begin(), all.end());
      std::vector<std::size_t> want;
      for (const auto& [ret, s] : all) {
        bool overlaps = false;
        for (std::size_t u : want) overlaps |= s < u + length && u < s + length;
        if (!overlaps && want.size() < 4) want.push_back(s);
      }
      auto got = worst_windows(x, w, 1.0, 4, length);
      ASSERT_EQ(got.size(), want.size()) << t << " " << length;
      for (std::size_t k = 0; k < want.size(); ++k) {
        EXPECT_EQ(got[k].start_row, want[k]) << t << " " << length << " " << k;
        EXPECT_EQ(got[k].end_row, want[k] + length - 1);
      }
    }
  }
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


}  // namespace
}  // namespace sextant::risk
