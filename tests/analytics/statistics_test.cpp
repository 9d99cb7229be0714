// Analytics statistics against numpy / pandas / scikit-learn (dowjones30_analytics.json) and hand cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/analytics/correlation.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/analytics/pca.hpp"
#include "sextant/core/error.hpp"
#include "support/test_support.hpp"

namespace sextant::analytics {
namespace {

constexpr const char* kGolden = "golden/dowjones30_analytics.json";

void expect_matrix(const Matrix& got, const std::vector<double>& want, double rel, const char* name) {
  ASSERT_EQ(got.size(), want.size()) << name;
  double scale = 0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(got.data()[i] - want[i]), rel * std::max(std::abs(want[i]), 1e-3 * scale))
        << name << "[" << i << "]: " << got.data()[i] << " vs " << want[i];
}

class DowStatistics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { returns_ = new Matrix(test::dow_log_returns()); }
  static void TearDownTestSuite() { delete returns_; }
  static Matrix* returns_;
};
Matrix* DowStatistics::returns_ = nullptr;

// Ranks depend on exact ties, so Spearman is fed numpy's own returns (see the oracle script).
TEST_F(DowStatistics, SpearmanMatchesPandas) {
  expect_matrix(correlation(test::dow_log_returns_numpy(), CorrelationMethod::spearman),
                test::numbers(test::golden(kGolden)["spearman_correlation"]), 1e-10, "spearman");
}

TEST_F(DowStatistics, LogReturnsMatchNumpyToOneUlpOfLogPrice) {
  Matrix numpy = test::dow_log_returns_numpy();
  EXPECT_LE(test::max_abs_diff(*returns_, numpy), 1e-15);
}

TEST_F(DowStatistics, PearsonMatchesNumpy) {
  expect_matrix(correlation(*returns_, CorrelationMethod::pearson),
                test::numbers(test::golden(kGolden)["pearson_correlation"]), 1e-10, "pearson");
}

TEST_F(DowStatistics, LedoitWolfMatchesScikitLearn) {
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::ledoit_wolf;
  auto r = estimate_covariance(*returns_, opt);
  ASSERT_TRUE(r.shrinkage.has_value());
  double want = double(test::golden(kGolden)["ledoit_wolf_shrinkage"]);
  EXPECT_LE(std::abs(*r.shrinkage - want), 1e-10 * want) << *r.shrinkage << " vs " << want;
  expect_matrix(r.covariance, test::numbers(test::golden(kGolden)["ledoit_wolf_covariance"]), 1e-10, "ledoit_wolf");
}

TEST_F(DowStatistics, EwmaMatchesTheRecursion) {
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::ewma;
  opt.lambda = 0.94;
  opt.seed_rows = 20;
  expect_matrix(estimate_covariance(*returns_, opt).covariance,
                test::numbers(test::golden(kGolden)["ewma_covariance_lambda_0.94_final"]), 1e-10, "ewma");
}

TEST_F(DowStatistics, PcaOnCovarianceMatchesTheExactOracle) {
  auto g = test::golden("golden/dowjones30_pca_exact.json");
  PcaOptions opt;
  opt.n_factors = 5;
  opt.factor_returns = true;
  auto r = pca(*returns_, opt);
  auto values = test::numbers(g["eigenvalues_top5"]), ratios = test::numbers(g["explained_variance_ratio_top5"]);
  double cum = 0;
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_LE(std::abs(r.eigenvalues[k] - values[k]), 1e-10 * values[k]);
    EXPECT_LE(std::abs(r.explained_variance_ratio[k] - ratios[k]), 1e-10 * ratios[k]);
    cum += ratios[k];
    EXPECT_NEAR(r.cumulative_variance_ratio[k], cum, 1e-12);
  }
  ASSERT_TRUE(r.factor_returns.has_value());
  ASSERT_EQ(r.factor_returns->rows(), returns_->rows());
  // Factor returns are uncorrelated with variances equal to the eigenvalues.
  Matrix f = *r.factor_returns;
  for (std::size_t a = 0; a < 5; ++a)
    for (std::size_t b = 0; b < 5; ++b) {
      double s = 0;
      for (std::size_t t = 0; t < f.rows(); ++t) s += f(t, a) * f(t, b);
      s /= double(f.rows() - 1);
      EXPECT_NEAR(s, a == b ? values[a] : 0.0, 1e-12);
    }
}

TEST(Kendall, TauBHandCases) {
  std::vector<double> x{1, 2, 3, 4, 5}, y{5, 6, 7, 8, 7}, rev{5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(kendall_tau_b(x, x), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau_b(x, rev), -1.0);
  // scipy.stats.kendalltau([1,2,3,4,5],[5,6,7,8,7]) = 0.7378647873726218 (tau-b, one tie in y)
  EXPECT_NEAR(kendall_tau_b(x, y), 0.7378647873726218, 1e-15);
  // scipy.stats.kendalltau([1,1,2,2,3],[1,2,1,3,3]) = 0.49999999999999994 (ties on both sides)
  std::vector<double> a{1, 1, 2, 2, 3}, b{1, 2, 1, 3, 3};
  EXPECT_NEAR(kendall_tau_b(a, b), 0.5, 1e-15);
  std::vector<double> constant{2, 2, 2, 2, 2};
  EXPECT_TRUE(std::isnan(kendall_tau_b(x, constant)));
}

// Tau-b by its definition, over every pair of rows: O(n²). Signs by comparison, so equal
// infinities tie.
double kendall_by_definition(std::span<const double> x, std::span<const double> y) {
  double conc = 0, disc = 0, tx = 0, ty = 0;
  for (std::size_t p = 0; p < x.size(); ++p)
    for (std::size_t q = p + 1; q < x.size(); ++q) {
      const int dx = (x[p] > x[q]) - (x[p] < x[q]), dy = (y[p] > y[q]) - (y[p] < y[q]);
      if (dx == 0 && dy == 0) continue;
      if (dx == 0) tx += 1;
      else if (dy == 0) ty += 1;
      else if (dx == dy) conc += 1;
      else disc += 1;
    }
  return (conc - disc) / std::sqrt((conc + disc + tx) * (conc + disc + ty));
}

// The matrix and the pair function (pairwise-complete rows) against the definition, whatever the
// ties: across columns, within a column, heavy (a few distinct values), and at ±Inf.
TEST(Kendall, KnightEqualsTheQuadraticDefinition) {
  Matrix x = test::random_returns(500, 7, 31);
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < 500; ++t) {
    x(t, 1) = double(int(x(t, 1) * 300));  // a few dozen distinct values
    x(t, 2) = double(t % 4);
    if (t % 50 == 0) x(t, 3) = t % 100 == 0 ? inf : -inf;
    x(t, 4) = x(t, 1) + double(t % 2);
    if (t % 7 == 0) x(t, 5) = x(t, 0);  // ties across columns
    if (t % 5 == 0) x(t, 6) = 0.0;      // ties within a column
  }
  Matrix c = correlation(x, CorrelationMethod::kendall);
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 7; ++j) {
      if (i == j) continue;
      std::vector<double> a(500), b(500);
      for (std::size_t t = 0; t < 500; ++t) a[t] = x(t, i), b[t] = x(t, j);
      const double want = kendall_by_definition(a, b);
      EXPECT_NEAR(c(i, j), want, 1e-14) << i << ", " << j;
      EXPECT_NEAR(kendall_tau_b(a, b), want, 1e-14) << i << ", " << j;
    }
}

TEST(Missing, PairwiseCompleteMatchesDroppingRowsPerPair) {
  Matrix x = test::random_returns(50, 3, 23);
  x(3, 0) = std::nan("");
  x(10, 1) = std::nan("");
  x(11, 2) = std::nan("");
  for (auto method : {CorrelationMethod::pearson, CorrelationMethod::spearman, CorrelationMethod::kendall}) {
    Matrix c = correlation(x, method, Missing::pairwise);
    // Pair (0, 1) uses the rows where both are present: drop rows 3 and 10.
    Matrix sub(48, 2);
    std::size_t r = 0;
    for (std::size_t t = 0; t < 50; ++t)
      if (t != 3 && t != 10) {
        sub(r, 0) = x(t, 0);
        sub(r, 1) = x(t, 1);
        ++r;
      }
    EXPECT_NEAR(c(0, 1), correlation(sub, method)(0, 1), 1e-14);
    EXPECT_EQ(c(0, 1), c(1, 0));
    EXPECT_EQ(c(2, 2), 1.0);
  }
}

TEST(Missing, ColumnWithTooFewValuesGivesNaN) {
  Matrix x = test::random_returns(5, 2, 1);
  for (std::size_t t = 1; t < 5; ++t) x(t, 1) = std::nan("");
  Matrix c = correlation(x, CorrelationMethod::pearson, Missing::pairwise);
  EXPECT_TRUE(std::isnan(c(0, 1)));
  EXPECT_TRUE(std::isnan(c(1, 1)));
  EXPECT_EQ(c(0, 0), 1.0);
}

TEST(Summary, EigenvaluesConditionAndAverage) {
  Matrix c = Matrix::identity(3);
  c(0, 1) = c(1, 0) = 0.5;
  auto s = summarize(c);
  ASSERT_EQ(s.eigenvalues.size(), 3u);
  EXPECT_NEAR(s.eigenvalues[0], 1.5, 1e-14);
  EXPECT_NEAR(s.eigenvalues[2], 0.5, 1e-14);
  ASSERT_TRUE(s.condition_number.has_value());
  EXPECT_NEAR(*s.condition_number, 3.0, 1e-13);
  EXPECT_NEAR(s.average_correlation, 1.0 / 6.0, 1e-15);
  Matrix singular(2, 2, 1.0);
  EXPECT_FALSE(summarize(singular).condition_number.has_value());
}

TEST(Rolling, EachWindowEqualsTheCorrelationOfItsRows) {
  Matrix x = test::random_returns(40, 4, 3);
  auto r = rolling_correlation(x, 10, 5, CorrelationMethod::pearson);
  ASSERT_EQ(r.end_rows.size(), 7u);  // ends 9, 14, ..., 39
  EXPECT_EQ(r.end_rows.back(), 39u);
  Matrix last = correlation(MatrixView(x.row(30), 10, 4), CorrelationMethod::pearson);
  EXPECT_LT(test::max_abs_diff(r.matrices.back(), last), 1e-15);
  EXPECT_THROW(rolling_correlation(x, 41, 1, CorrelationMethod::pearson), Error);
  EXPECT_THROW(rolling_correlation(x, 10, 0, CorrelationMethod::pearson), Error);
}

TEST(Covariance, SemiCovarianceByHand) {
  Matrix x(4, 2);
  double v[] = {0.01, -0.02, -0.03, 0.01, 0.02, -0.01, -0.01, -0.04};
  std::copy(v, v + 8, x.data());
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::semi;
  Matrix s = estimate_covariance(x, opt).covariance;
  // downside parts: col0 {0,-0.03,0,-0.01}, col1 {-0.02,0,-0.01,-0.04}
  EXPECT_NEAR(s(0, 0), (0.0009 + 0.0001) / 4, 1e-18);
  EXPECT_NEAR(s(1, 1), (0.0004 + 0.0001 + 0.0016) / 4, 1e-18);
  EXPECT_NEAR(s(0, 1), (0.01 * 0.04) / 4, 1e-18);
}

TEST(Covariance, EwmaSeedsOnAtMostTwentyRowsByDefault) {
  // Fewer than 20 rows: the seed is every row, so the EWMA is the sample covariance.
  Matrix x = test::random_returns(12, 3, 9);
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::ewma;
  Matrix e = estimate_covariance(x, opt).covariance;
  opt.estimator = CovarianceEstimator::sample;
  EXPECT_LT(test::max_abs_diff(e, estimate_covariance(x, opt).covariance), 1e-18);
  EXPECT_EQ(effective_seed_rows(opt, 12), 12u);
  EXPECT_EQ(effective_seed_rows(opt, 500), 20u);
}

TEST(Covariance, BadParametersNameTheirField) {
  Matrix x = test::random_returns(30, 3, 4);
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::ewma;
  opt.lambda = 1.5;
  try {
    estimate_covariance(x, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "ewma_lambda");
  }
  opt.lambda = 0.9;
  opt.seed_rows = 31;
  try {
    estimate_covariance(x, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "ewma_seed_rows");
  }
  PcaOptions p;
  p.n_factors = 4;
  EXPECT_THROW(pca(x, p), Error);
}

}  // namespace
}  // namespace sextant::analytics

namespace sextant::analytics {
namespace {

TEST(Fp32, CorrelationAndCovarianceWithinSinglePrecisionOfFp64) {
  Matrix x = test::random_returns(2520, 300, 91);
  for (auto b : {accel::Backend::reference, accel::Backend::cpu}) {
    Matrix c32 = accel::correlation_fp32(x, b), c64 = accel::correlation(x);
    EXPECT_LT(test::max_abs_diff(c32, c64), 1e-5);
    EXPECT_GT(test::max_abs_diff(c32, c64), 0.0) << "really computed in fp32";
    for (std::size_t i = 0; i < 300; ++i) EXPECT_EQ(c32(i, i), 1.0);
  }
  Matrix v32 = accel::covariance_fp32(x), v64 = accel::covariance(x);
  EXPECT_LT(test::max_abs_diff(v32, v64), 1e-5 * v64(0, 0));
  auto d = fp32_deviation(x, accel::correlation_fp32(x), CorrelationMethod::pearson, false, 64);
  EXPECT_EQ(d.sample_columns, 64u);
  EXPECT_GT(d.max_abs_deviation, 0.0);
  EXPECT_LT(d.max_abs_deviation, 1e-5);
  Matrix s32 = correlation(x, CorrelationMethod::spearman, Missing::reject, Precision::fp32);
  EXPECT_LT(test::max_abs_diff(s32, correlation(x, CorrelationMethod::spearman)), 1e-5);
  EXPECT_THROW(correlation(x, CorrelationMethod::kendall, Missing::reject, Precision::fp32), Error);
}

}  // namespace
}  // namespace sextant::analytics

namespace sextant::analytics {
namespace {

TEST(Limits, ResultsOverTheMemoryPoolAreRefusedNotAllocated) {
  accel::Settings s;
  s.memory_pool_mb = 1;  // 131,072 doubles
  accel::Router::reset(s);
  Matrix x = test::random_returns(400, 20, 5);
  try {
    rolling_correlation(x, 2, 1, CorrelationMethod::pearson);  // 399 windows × 400 values
    ADD_FAILURE() << "expected memory_limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::memory_limit);
    EXPECT_EQ(e.field(), "window");
  }
  EXPECT_NO_THROW(rolling_correlation(x, 100, 50, CorrelationMethod::pearson));
  Matrix wide = test::random_returns(3, 400, 6);  // 160,000-value result
  EXPECT_THROW(correlation(wide, CorrelationMethod::kendall), Error);
  accel::Router::reset(accel::Settings::from_env(process_env()));
}

// Returns of ~1e150 have finite squares but fourth powers of 1e600: the shrinkage intensity (a ratio
// of fourth-order sums) must still come out, equal to that of the same data at ordinary scale, and
// the covariance exactly 2^1000 times it (power-of-two scaling is exact).
TEST(Limits, LedoitWolfIsScaleInvariantUpToFiniteSquares) {
  Matrix x = test::random_returns(120, 6, 9);
  Matrix big = x;
  for (double& v : big.flat()) v = std::ldexp(v, 500);
  CovarianceOptions opt;
  opt.estimator = CovarianceEstimator::ledoit_wolf;
  auto small_r = estimate_covariance(x, opt), big_r = estimate_covariance(big, opt);
  ASSERT_TRUE(small_r.shrinkage && big_r.shrinkage);
  EXPECT_GT(*small_r.shrinkage, 0.0);
  EXPECT_DOUBLE_EQ(*big_r.shrinkage, *small_r.shrinkage);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 6; ++j) EXPECT_DOUBLE_EQ(big_r.covariance(i, j), std::ldexp(small_r.covariance(i, j), 1000));
}

}  // namespace
}  // namespace sextant::analytics
