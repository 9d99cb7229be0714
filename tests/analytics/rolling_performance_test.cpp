// Rolling statistics against pandas 1.5 and performance statistics against numpy/pandas formulas.
// Expected values were produced by pandas 1.5.3 / numpy 1.24 on the series below:
//   x = pd.Series([1.0, 2.5, nan, 3.0, 2.0, 5.5, 4.0, 4.0, 1.5, 6.0]); r = x.rolling(4, min_periods=3)
//   r.mean(), r.sum(), r.std(), r.var(), r.skew(), r.kurt(), r.min(), r.max(), r.median(),
//   r.quantile(0.25), r.rank(), x.ewm(span=4, adjust=False, min_periods=3, ignore_na=True).mean()
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>

#include "sextant/analytics/performance.hpp"
#include "sextant/analytics/rolling.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {
namespace {

constexpr double N = std::numeric_limits<double>::quiet_NaN();

TEST(Rolling, MatchesPandasForEveryStatistic) {
  const std::vector<double> x{1.0, 2.5, N, 3.0, 2.0, 5.5, 4.0, 4.0, 1.5, 6.0};
  const std::map<std::string, std::vector<double>> want{
      {"mean", {N, N, N, 2.1666666666666665, 2.5, 3.5, 3.625, 3.875, 3.75, 3.875}},
      {"sum", {N, N, N, 6.5, 7.5, 10.5, 14.5, 15.5, 15.0, 15.5}},
      {"std", {N, N, N, 1.0408329997330665, 0.5000000000000002, 1.8027756377319946, 1.4930394055974097, 1.436140661634507,
               1.6583123951777, 1.8427786989579984}},
      {"var", {N, N, N, 1.0833333333333335, 0.2500000000000002, 3.25, 2.2291666666666665, 2.0624999999999996, 2.75,
               3.3958333333333335}},
      {"skew", {N, N, N, -1.2933427807333961, 0.0, 1.1520696383139375, 0.422521414458521, -0.5169578873835875,
                -0.8771239114989486, -0.4044971723558677}},
      {"kurt", {N, N, N, N, N, N, -0.41610621014935845, 1.649219467401286, 1.9338842975206614, 1.591177688283338}},
      {"min", {N, N, N, 1.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.5}},
      {"max", {N, N, N, 3.0, 3.0, 5.5, 5.5, 5.5, 5.5, 6.0}},
      {"median", {N, N, N, 2.5, 2.5, 3.0, 3.5, 4.0, 4.0, 4.0}},
      {"quantile", {N, N, N, 1.75, 2.25, 2.5, 2.75, 3.5, 3.375, 3.375}},
      {"rank", {N, N, N, 3.0, 1.0, 3.0, 3.0, 2.5, 1.0, 4.0}},
      {"ema", {N, N, N, 2.16, 2.096, 3.4576000000000002, 3.67456, 3.804736, 2.8828416, 4.12970496}},
  };
  Matrix m(x.size(), 1);
  std::copy(x.begin(), x.end(), m.data());
  for (const auto& [name, expected] : want) {
    RollingOptions opt;
    opt.stat = parse_rolling_stat(name);
    opt.window = 4;
    opt.min_periods = 3;
    opt.q = 0.25;
    Matrix got = rolling(m, opt);
    for (std::size_t t = 0; t < x.size(); ++t) {
      if (std::isnan(expected[t])) EXPECT_TRUE(std::isnan(got(t, 0))) << name << "[" << t << "] = " << got(t, 0);
      else EXPECT_NEAR(got(t, 0), expected[t], 1e-12 * std::max(1.0, std::abs(expected[t]))) << name << "[" << t << "]";
    }
  }
}

TEST(Rolling, ColumnsAreIndependentAndParametersChecked) {
  Matrix m(5, 2);
  for (std::size_t t = 0; t < 5; ++t) m(t, 0) = double(t), m(t, 1) = 10.0 * double(t);
  RollingOptions opt;
  opt.window = 2;
  Matrix s = rolling(m, opt);
  EXPECT_TRUE(std::isnan(s(0, 0)));
  EXPECT_DOUBLE_EQ(s(4, 0), 3.5);
  EXPECT_DOUBLE_EQ(s(4, 1), 35.0);
  opt.window = 6;
  EXPECT_THROW(rolling(m, opt), Error);
  opt.window = 2;
  opt.min_periods = 3;
  try {
    rolling(m, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "min_periods");
  }
  EXPECT_THROW(parse_rolling_stat("average"), Error);
}

// Each row costs O(window), so /rolling passes its deadline check as a checkpoint: a throw from it
// must stop the whole computation and reach the caller (a 504 there).
TEST(Rolling, CheckpointRunsAndItsThrowStopsTheWork) {
  Matrix m(2000, 3, 0.5);
  RollingOptions opt;
  opt.stat = RollingStat::median;
  opt.window = 100;
  std::atomic<int> calls{0};
  opt.checkpoint = [&] { ++calls; };
  rolling(m, opt);
  EXPECT_EQ(calls.load(), 3 * 8);  // rows 0, 256, ..., 1792 of each column
  opt.checkpoint = [&] {
    if (++calls > 30) throw Error(ErrorCode::timeout, "the request deadline passed");
  };
  try {
    rolling(m, opt);
    FAIL() << "expected the checkpoint's error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout);
  }
}

// numpy/pandas on: r = [0.01,-0.02,0.015,0.003,-0.007,0.02,-0.011,0.004,0.009,-0.013,0.006,0.012],
// b = [0.008,-0.015,0.01,0.001,-0.004,0.012,-0.009,0.002,0.007,-0.01,0.003,0.01], P = 252, rf = 0.02.
TEST(Performance, MatchesNumpyFormulas) {
  const std::vector<double> r{0.01, -0.02, 0.015, 0.003, -0.007, 0.02, -0.011, 0.004, 0.009, -0.013, 0.006, 0.012};
  const std::vector<double> b{0.008, -0.015, 0.01, 0.001, -0.004, 0.012, -0.009, 0.002, 0.007, -0.01, 0.003, 0.01};
  PerformanceOptions opt;
  opt.risk_free_rate = 0.02;
  auto s = performance(r, b, opt);
  auto near = [](double got, double want) { EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::abs(want))); };
  near(s.total_return, 0.027497234236670165);
  near(s.annualized_return, 0.7676402915807612);
  near(s.volatility, 0.19645401960301503);
  near(s.sharpe, 2.891261788116057);
  near(s.sortino, 4.534645915909852);
  near(s.max_drawdown, 0.020000000000000018);
  near(s.var, 0.016149999999999998);
  near(s.cvar, 0.02);
  near(s.skew, -0.4994382187295773);
  near(s.kurtosis, -0.803562396713045);
  near(s.omega, 1.5270646458397772);
  near(s.tail_ratio, 1.068111455108359);
  near(*s.beta, 1.3771804403774666);
  near(*s.alpha, 0.16173177008864748);
  near(*s.tracking_error, 0.0587993506457651);
  near(*s.information_ratio, 4.642908416534735);
  near(s.calmar, 0.7676402915807612 / 0.020000000000000018);
  EXPECT_EQ(s.best, 0.02);
  EXPECT_EQ(s.worst, -0.02);
  EXPECT_NEAR(s.win_rate, 8.0 / 12.0, 1e-15);
  EXPECT_EQ(s.max_drawdown_duration, 4u);  // wealth 1.01, then 0.9898, 1.0047, 1.0077, 1.0006 below it, then 1.0206
}

TEST(Performance, DrawdownDurationByHand) {
  // wealth: 1.1, 0.99, 1.089, 1.1, 1.21: below the 1.1 peak for 2 periods, then a new peak.
  const std::vector<double> r{0.1, -0.1, 0.1, 0.0101010101010101, 0.1};
  auto s = performance(r, {}, {});
  EXPECT_NEAR(s.max_drawdown, 0.1, 1e-15);
  EXPECT_EQ(s.max_drawdown_duration, 2u);
  EXPECT_FALSE(s.beta.has_value());
}

TEST(Performance, BadInputNamesTheField) {
  const std::vector<double> r{0.01, -1.5, 0.02};
  try {
    performance(r, {}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "returns");
  }
  const std::vector<double> ok{0.01, 0.02, 0.03}, b{0.01};
  try {
    performance(ok, b, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "benchmark");
  }
  PerformanceOptions o;
  o.confidence = 1.0;
  EXPECT_THROW(performance(ok, {}, o), Error);
}

}  // namespace
}  // namespace sextant::analytics
