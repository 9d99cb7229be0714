// Philox sampling: determinism across thread counts and backends, slicing, and distribution moments.
#include <cblas.h>
#include <gtest/gtest.h>

#include <random>
#include <tbb/global_control.h>

#include <cmath>
#include <cstring>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/philox.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

Matrix cov3() {
  Matrix c(3, 3);
  double v[9] = {4e-4, 1e-4, -5e-5, 1e-4, 2.5e-4, 3e-5, -5e-5, 3e-5, 1e-4};
  std::copy(v, v + 9, c.data());
  return c;
}

template <class F>
auto with_threads(int threads, F&& f) {
  tbb::global_control tbb_limit(tbb::global_control::max_allowed_parallelism, threads);
  openblas_set_num_threads(threads);
  auto m = f();
  openblas_set_num_threads(2);
  return m;
}

bool bit_identical(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(Philox, KnownAnswer) {
  // Philox4x32-10 with zero counter and key (Random123's published known-answer vector).
  auto r = philox::block({{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(r.x[0], 0x6627e8d5u);
  EXPECT_EQ(r.x[1], 0xe169c58du);
  EXPECT_EQ(r.x[2], 0xbc57ac4cu);
  EXPECT_EQ(r.x[3], 0x9b00dbd8u);
}

TEST(Sample, BitIdenticalWithOneOrTwoThreads) {
  Matrix l = cholesky(test::random_spd(120, 9));
  std::vector<double> mean(120, 0.001);
  SampleSpec spec;
  spec.seed = 42;
  spec.chol = l;
  spec.mean = mean;
  auto draw = [&] { return sample(spec, 9000, 120, Backend::cpu); };  // spans several row blocks
  Matrix one = with_threads(1, draw), two = with_threads(2, draw);
  EXPECT_TRUE(bit_identical(one, two));
  spec.nu = 4.0;
  EXPECT_TRUE(bit_identical(with_threads(1, draw), with_threads(2, draw)));
}

TEST(Sample, CovarianceIsBitIdenticalWithOneOrTwoThreads) {
  Matrix x = test::random_returns(3000, 300, 5);
  auto cov = [&] { return covariance(x, Backend::cpu); };
  auto cor = [&] { return correlation(x, Backend::cpu); };
  EXPECT_TRUE(bit_identical(with_threads(1, cov), with_threads(2, cov)));
  EXPECT_TRUE(bit_identical(with_threads(1, cor), with_threads(2, cor)));
}

TEST(Sample, ReferenceAndCpuDrawTheSameScenarios) {
  Matrix l = cholesky(cov3());
  SampleSpec spec;
  spec.seed = 7;
  spec.chol = l;
  for (double nu : {0.0, 5.0, 0.7}) {
    spec.nu = nu;
    Matrix a = sample(spec, 500, 3, Backend::reference), b = sample(spec, 500, 3, Backend::cpu);
    EXPECT_LT(test::max_abs_diff(a, b), 1e-12) << "nu=" << nu;
  }
}

TEST(Sample, UncorrelatedDrawsAreBitIdenticalAcrossBackends) {
  // Without a Cholesky factor no BLAS product follows the draws, so the cpu backend's vectorised
  // Box-Muller (whichever clone this CPU picks: AVX-512, AVX2 or baseline) must equal the scalar
  // reference bit for bit. 37 columns cover full vectors and a ragged tail.
  SampleSpec spec;
  spec.seed = 11;
  for (bool antithetic : {false, true}) {
    spec.antithetic = antithetic;
    Matrix a = sample(spec, 300, 37, Backend::reference), b = sample(spec, 300, 37, Backend::cpu);
    EXPECT_TRUE(bit_identical(a, b)) << "antithetic=" << antithetic;
  }
}

TEST(Philox, BoxMullerKernelsMatchLibm) {
  // log_unit and sincos_2pi replace libm inside Box-Muller; hold them to a few ulp over their domains.
  std::mt19937_64 rng(5);
  double worst_log = 0, worst_trig = 0;
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t b = rng();
    double u = philox::uniform53(std::uint32_t(b >> 32), std::uint32_t(b));
    double want = std::log(u);
    worst_log = std::max(worst_log, std::abs(philox::log_unit(u) - want) / std::max(std::abs(want), 1e-300));
    double s, c;
    philox::sincos_2pi(u, s, c);
    const double theta = 6.283185307179586476925286766559 * u;
    worst_trig = std::max({worst_trig, std::abs(s - std::sin(theta)), std::abs(c - std::cos(theta))});
  }
  for (double u : {0x1.0p-54, 0.25, 0.5, 0.75, 1.0 - 0x1.0p-53, 1.0}) EXPECT_NEAR(philox::log_unit(u), std::log(u), 1e-15 * std::abs(std::log(u)) + 1e-300);
  EXPECT_LT(worst_log, 4e-16);
  EXPECT_LT(worst_trig, 2e-15);  // libm's own argument 2πu is rounded; ours reduces u exactly
}

TEST(Sample, PortfolioReturnsEqualTheWeightedScenariosOnEveryBackend) {
  Matrix l = cholesky(cov3());
  const std::vector<double> mean{0.001, -0.002, 0.0005}, w{0.5, -0.2, 0.7};
  SampleSpec spec;
  spec.seed = 11;
  spec.first_row = 37;
  spec.chol = l;
  spec.mean = mean;
  for (double nu : {0.0, 6.0}) {
    for (bool anti : {false, true}) {
      spec.nu = nu, spec.antithetic = anti;
      Matrix x = sample(spec, 700, 3, Backend::reference);
      auto ref = sample_portfolio(spec, 700, w, Backend::reference), cpu = sample_portfolio(spec, 700, w, Backend::cpu);
      ASSERT_EQ(cpu.size(), 700u);
      for (std::size_t r = 0; r < 700; ++r) {
        double want = w[0] * x(r, 0) + w[1] * x(r, 1) + w[2] * x(r, 2);
        EXPECT_NEAR(ref[r], want, 1e-15) << r;
        EXPECT_NEAR(cpu[r], want, 1e-13) << r;  // folded: Lᵀw first, so rounding differs slightly
      }
    }
  }
  auto two = [&] { return sample_portfolio(spec, 20000, w, Backend::cpu); };
  EXPECT_EQ(with_threads(1, two), with_threads(2, two));  // deterministic whatever the thread count
}

TEST(Sample, ASliceEqualsTheSameRowsOfALargerDraw) {
  Matrix l = cholesky(cov3());
  SampleSpec spec;
  spec.seed = 99;
  spec.chol = l;
  Matrix whole = sample(spec, 1000, 3);
  spec.first_row = 600;
  Matrix tail = sample(spec, 400, 3);
  EXPECT_LT(test::max_abs_diff(MatrixView(whole.row(600), 400, 3), tail), 1e-18);
  spec.first_row = 0;
  spec.seed = 100;
  EXPECT_GT(test::max_abs_diff(MatrixView(whole.row(0), 400, 3), MatrixView(sample(spec, 400, 3).data(), 400, 3)), 1e-6)
      << "another seed gives other draws";
}

TEST(Sample, NormalMomentsMatchTheCovariance) {
  Matrix c = cov3(), l = cholesky(c);
  std::vector<double> mean{0.001, -0.002, 0.0005};
  SampleSpec spec;
  spec.seed = 2024;
  spec.chol = l;
  spec.mean = mean;
  const std::size_t n = 200000;
  Matrix x = sample(spec, n, 3);
  Matrix s = covariance(x);
  for (std::size_t j = 0; j < 3; ++j) {
    double m = 0;
    for (std::size_t r = 0; r < n; ++r) m += x(r, j);
    m /= n;
    EXPECT_NEAR(m, mean[j], 4.0 * std::sqrt(c(j, j) / n));  // 4 standard errors
    for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(s(j, k), c(j, k), 0.02 * std::sqrt(c(j, j) * c(k, k)));
  }
}

TEST(Sample, StudentTHasTheRightVarianceAndFatTails) {
  SampleSpec spec;
  spec.seed = 5;
  spec.nu = 6.0;
  const std::size_t n = 400000;
  Matrix x = sample(spec, n, 1);
  double m2 = 0, m4 = 0;
  for (std::size_t r = 0; r < n; ++r) {
    m2 += x(r, 0) * x(r, 0);
    m4 += std::pow(x(r, 0), 4);
  }
  m2 /= n;
  m4 /= n;
  EXPECT_NEAR(m2, 6.0 / 4.0, 0.03);                  // nu / (nu - 2)
  EXPECT_GT(m4 / (m2 * m2), 4.0);                    // kurtosis 3 + 6/(nu-4) = 6 > normal's 3
  for (std::size_t r = 0; r < n; ++r) ASSERT_TRUE(std::isfinite(x(r, 0)));
}

TEST(Sample, AntitheticRowsArePairedNegations) {
  SampleSpec spec;
  spec.seed = 8;
  spec.antithetic = true;
  spec.nu = 5.0;
  Matrix x = sample(spec, 100, 4);
  for (std::size_t r = 0; r < 100; r += 2)
    for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(x(r, j), -x(r + 1, j));
}

}  // namespace
}  // namespace sextant::accel
