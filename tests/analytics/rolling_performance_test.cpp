// Rolling statistics against pandas 1.5 and performance statistics against numpy/pandas formulas.
// Expected values were produced by pandas 1.5.3 / numpy 1.24 on the series below:
//   x = pd.Series([1.0, 2.5, nan, 3.0, 2.0, 5.5, 4.0, 4.0, 1.5, 6.0]); r = x.rolling(4, min_periods=3)
//   r.mean(), r.sum(), r.std(), r.var(), r.skew(), r.kurt(), r.min(), r.max(), r.median(),
//   r.quantile(0.25), r.rank(), x.ewm(span=4, adjust=False, min_periods=3, ignore_na=True).mean()
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <random>

#include "sextant/analytics/performance.hpp"
#include "sextant/analytics/rolling.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"

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

// /rolling passes its deadline check as a checkpoint (a request sets T and N): a throw from it must
// stop the whole computation and reach the caller (a 504 there), from the sorted-window and the
// block-aggregate kernels alike (both run in code compiled per CPU level, where GCC's target_clones
// would have turned the throw into std::terminate).
TEST(Rolling, CheckpointRunsAndItsThrowStopsTheWork) {
  Matrix m(2000, 20, 0.5);  // three blocks of (up to) eight columns
  for (RollingStat stat : {RollingStat::median, RollingStat::std, RollingStat::kurt}) {
    RollingOptions opt;
    opt.stat = stat;
    opt.window = 100;
    std::atomic<int> calls{0};
    opt.checkpoint = [&] { ++calls; };
    rolling(m, opt);
    EXPECT_EQ(calls.load(), 3 * 8);  // rows 0, 256, ..., 1792 of each block
    opt.checkpoint = [&] {
      if (++calls > 30) throw Error(ErrorCode::timeout, "the request deadline passed");
    };
    try {
      rolling(m, opt);
      ADD_FAILURE() << "expected the checkpoint's error, statistic " << int(stat);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::timeout);
    }
  }
}

// A window's statistic by its definition, from scratch: its finite values `w` (oldest first) and
// the row's own value. The O(T·window) reference for the O(1)-per-row kernels.
double window_by_definition(RollingStat s, std::vector<double> w, double newest, double q) {
  const double n = double(w.size());
  double sum = 0;
  for (double v : w) sum += v;
  const double mean = sum / n;
  double ss = 0;
  for (double v : w) ss += (v - mean) * (v - mean);
  const double var = n >= 2 ? ss / (n - 1) : N;
  switch (s) {
    case RollingStat::mean: return mean;
    case RollingStat::sum: return sum;
    case RollingStat::var: return var;
    case RollingStat::std: return std::sqrt(var);
    case RollingStat::zscore: return var > 0 ? (newest - mean) / std::sqrt(var) : N;
    case RollingStat::skew: return sample_skew(standardised_moments(w, mean), n);
    case RollingStat::kurt: return sample_excess_kurtosis(standardised_moments(w, mean), n);
    case RollingStat::min: return *std::min_element(w.begin(), w.end());
    case RollingStat::max: return *std::max_element(w.begin(), w.end());
    case RollingStat::median:
    case RollingStat::quantile: {
      std::sort(w.begin(), w.end());
      const double pos = (s == RollingStat::median ? 0.5 : q) * (n - 1);
      const std::size_t lo = std::size_t(pos), hi = std::min(lo + 1, w.size() - 1);
      return w[lo] + (w[hi] - w[lo]) * (pos - double(lo));
    }
    case RollingStat::rank: {
      if (std::isnan(newest)) return N;
      double less = 0, equal = 0;
      for (double v : w) less += v < newest, equal += v == newest;
      return less + (equal + 1) / 2.0;
    }
    case RollingStat::ema: break;
  }
  return N;
}

// Nine columns (a block of eight and a partial one), each a different hazard: returns, a price level
// far from zero, 5% NaN, runs of equal values, small integers (ties), a long NaN gap.
Matrix hazard_panel(std::size_t t) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u;
  Matrix x(t, 9);
  double price = 1000;
  for (std::size_t r = 0; r < t; ++r) {
    price += z(rng);
    x(r, 0) = 0.0003 + 0.012 * z(rng);
    x(r, 1) = price;
    x(r, 2) = u(rng) < 0.05 ? N : z(rng);
    x(r, 3) = 0.5 * double((r / 37) % 5);  // exact values: a window inside one run has variance exactly 0
    x(r, 4) = double(int(u(rng) * 6));
    x(r, 5) = r % 3000 >= 2500 ? N : z(rng);
    x(r, 6) = 0.01 * z(rng) * (1 + double(r % 500) / 50);
    x(r, 7) = -0.02 * u(rng);
    x(r, 8) = u(rng) < 0.3 ? N : 5 + z(rng);
  }
  return x;
}

// The window kernels (block suffixes and prefixes, a middle of whole blocks past 2,048 rows, eight
// columns per vector) against each window's statistic from scratch, on windows either side of the
// 2,048-row block and one spanning three blocks; rows are sampled for the long windows.
TEST(Rolling, EveryStatisticEqualsItsDefinitionOnEveryWindowLength) {
  const std::size_t rows = 7000;
  const Matrix x = hazard_panel(rows);
  const RollingStat stats[] = {RollingStat::mean, RollingStat::sum,  RollingStat::var,     RollingStat::std,
                               RollingStat::zscore, RollingStat::skew, RollingStat::kurt, RollingStat::min,
                               RollingStat::max,  RollingStat::median, RollingStat::quantile, RollingStat::rank};
  for (RollingStat stat : stats) {
    const bool ordered = stat == RollingStat::median || stat == RollingStat::quantile || stat == RollingStat::rank;
    // The order statistics do not use blocks; their long windows would only slow the reference down.
    const std::vector<std::size_t> windows =
        ordered ? std::vector<std::size_t>{1, 3, 20, 300} : std::vector<std::size_t>{1, 3, 20, 2047, 2048, 2049, 6500};
    for (std::size_t window : windows) {
      for (std::size_t min_periods : {window, std::max<std::size_t>(1, window / 2)}) {
        RollingOptions opt;
        opt.stat = stat;
        opt.window = window;
        opt.min_periods = min_periods;
        opt.q = 0.3;
        const Matrix got = rolling(x, opt);
        const double tol = stat == RollingStat::skew || stat == RollingStat::kurt ? 1e-9
                           : stat == RollingStat::zscore                           ? 1e-10
                                                                                    : 1e-12;
        int failures = 0;
        for (std::size_t t = 0; t < rows; ++t) {
          const bool sampled = t % 11 == 0 || t % 2048 <= 1 || t % 2048 == 2047 || (t + 3 > window && t < window + 3);
          if (window > 300 && !sampled) continue;
          for (std::size_t j = 0; j < x.cols(); ++j) {
            std::vector<double> w;
            for (std::size_t i = t + 1 > window ? t + 1 - window : 0; i <= t; ++i)
              if (!std::isnan(x(i, j))) w.push_back(x(i, j));
            const double want = w.size() >= min_periods ? window_by_definition(stat, w, x(t, j), opt.q) : N;
            const bool ok = std::isnan(want) ? std::isnan(got(t, j))
                                             : std::abs(got(t, j) - want) <= tol * std::max(1.0, std::abs(want));
            if (!ok && ++failures <= 3)
              ADD_FAILURE() << "stat " << int(stat) << ", window " << window << ", min_periods " << min_periods
                            << ", row " << t << ", column " << j << ": got " << got(t, j) << ", want " << want;
          }
        }
        EXPECT_EQ(failures, 0) << "stat " << int(stat) << ", window " << window << ", min_periods " << min_periods;
      }
    }
  }
}

// pandas adds each value to a running sum and subtracts it on the way out, so one Inf leaves NaN in
// every later window; here each window is aggregated from at most three pieces, and an Inf reaches
// only the windows that hold it. The spread statistics of such windows are NaN.
TEST(Rolling, InfinityReachesOnlyTheWindowsHoldingIt) {
  Matrix x(40, 1);
  for (std::size_t t = 0; t < 40; ++t) x(t, 0) = double(t % 7) - 2.5;
  x(10, 0) = std::numeric_limits<double>::infinity();
  RollingOptions opt;
  opt.window = 5;
  for (RollingStat stat :
       {RollingStat::sum, RollingStat::mean, RollingStat::max, RollingStat::var, RollingStat::kurt}) {
    opt.stat = stat;
    const Matrix got = rolling(x, opt);
    for (std::size_t t = 4; t < 40; ++t) {
      const bool holds = t >= 10 && t < 15;
      if (!holds) {
        std::vector<double> w;
        for (std::size_t i = t - 4; i <= t; ++i) w.push_back(x(i, 0));
        const double want = window_by_definition(stat, w, x(t, 0), 0.5);
        EXPECT_NEAR(got(t, 0), want, 1e-12) << int(stat) << " row " << t;
      } else if (stat == RollingStat::var || stat == RollingStat::kurt) {
        EXPECT_TRUE(std::isnan(got(t, 0))) << int(stat) << " row " << t;
      } else {
        EXPECT_EQ(got(t, 0), std::numeric_limits<double>::infinity()) << int(stat) << " row " << t;
      }
    }
  }
}

// Σd⁴ of returns near 1e150 is 1e600; skew and kurtosis are computed on the column scaled by a power
// of two, so they are finite and equal to those of the same returns at ordinary scale.
TEST(Rolling, SkewAndKurtosisOfHugeReturnsMatchOrdinaryScale) {
  const Matrix x = hazard_panel(300);
  Matrix big(300, 1), small(300, 1);
  for (std::size_t t = 0; t < 300; ++t) small(t, 0) = x(t, 0), big(t, 0) = 1e150 * x(t, 0);
  for (RollingStat stat : {RollingStat::skew, RollingStat::kurt}) {
    RollingOptions opt;
    opt.stat = stat;
    opt.window = 60;
    const Matrix a = rolling(small, opt), b = rolling(big, opt);
    for (std::size_t t = 59; t < 300; ++t) {
      ASSERT_TRUE(std::isfinite(b(t, 0))) << int(stat) << " row " << t;
      EXPECT_NEAR(b(t, 0), a(t, 0), 1e-9 * std::max(1.0, std::abs(a(t, 0)))) << int(stat) << " row " << t;
    }
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
