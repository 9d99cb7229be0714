// The cuda backend against the cpu backend. Label `gpu`: runs only where a GPU is present
// (ctest --preset gpu, through the device tool); it fails, never skips, when there is none.
#include <gtest/gtest.h>

#include <cmath>
#include <span>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/error.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

constexpr Backend kGpu = Backend::cuda;

TEST(Cuda, DeviceIsAvailable) {
  auto& r = Router::instance();
  ASSERT_TRUE(r.available(kGpu)) << r.unavailable_reason(kGpu);
}

TEST(Cuda, GemmMatchesCpu) {
  Matrix a = test::random_returns(300, 170, 1), b = test::random_returns(170, 90, 2),
         c = test::random_returns(300, 90, 3);
  EXPECT_LT(test::max_abs_diff(gemm(a, b, Trans::no, Trans::no, kGpu), gemm(a, b, Trans::no, Trans::no, Backend::cpu)),
            1e-15);
  EXPECT_LT(
      test::max_abs_diff(gemm(a, c, Trans::yes, Trans::no, kGpu), gemm(a, c, Trans::yes, Trans::no, Backend::cpu)),
      1e-15);
  EXPECT_LT(
      test::max_abs_diff(gemm(b, b, Trans::no, Trans::yes, kGpu), gemm(b, b, Trans::no, Trans::yes, Backend::cpu)),
      1e-15);
}

TEST(Cuda, CovarianceAndCorrelationMatchCpu) {
  Matrix x = test::random_returns(2520, 500, 4);
  EXPECT_LT(test::max_abs_diff(covariance(x, kGpu), covariance(x, Backend::cpu)), 1e-17);
  Matrix c = correlation(x, kGpu);
  EXPECT_LT(test::max_abs_diff(c, correlation(x, Backend::cpu)), 1e-13);
  for (std::size_t i = 0; i < c.rows(); ++i) EXPECT_EQ(c(i, i), 1.0);
}

TEST(Cuda, DowGoldenCorrelation) {
  Matrix r = test::dow_log_returns();
  EXPECT_LT(test::max_abs_diff(correlation(r, kGpu), correlation(r, Backend::reference)), 1e-13);
}

TEST(Cuda, CholeskyMatchesCpuAndRejectsIndefinite) {
  Matrix a = test::random_spd(200, 5);
  EXPECT_LT(test::max_abs_diff(cholesky(a, kGpu), cholesky(a, Backend::cpu)), 1e-12);
  Matrix bad = Matrix::identity(4);
  bad(3, 3) = -2;
  EXPECT_THROW(cholesky(bad, kGpu), Error);
}

TEST(Cuda, EigensolversMatchCpu) {
  Matrix a = covariance(test::random_returns(1200, 300, 8));  // a covariance: PCA's input
  Eigh gpu = eigh(a, kGpu), cpu = eigh(a, Backend::cpu);
  const double top = cpu.values[0];
  for (std::size_t j = 0; j < a.rows(); ++j) EXPECT_NEAR(gpu.values[j], cpu.values[j], 1e-12 * top) << j;
  for (std::size_t j = 0; j < 20; ++j)  // well-separated leading vectors: same up to rounding, same signs
    for (std::size_t i = 0; i < a.rows(); ++i) EXPECT_NEAR(gpu.vectors(i, j), cpu.vectors(i, j), 1e-9) << i << "," << j;
  std::vector<double> values = eigvalsh(a, kGpu);
  for (std::size_t j = 0; j < a.rows(); ++j) EXPECT_NEAR(values[j], cpu.values[j], 1e-12 * top) << j;
  Eigh top5 = eigh_topk(a, 5, kGpu);
  ASSERT_EQ(top5.values.size(), 5u);
  ASSERT_EQ(top5.vectors.cols(), 5u);
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(top5.values[j], cpu.values[j], 1e-12 * top) << j;
    for (std::size_t i = 0; i < a.rows(); ++i) EXPECT_NEAR(top5.vectors(i, j), cpu.vectors(i, j), 1e-9);
  }
}

TEST(Cuda, SamplingDrawsTheSameScenariosAsCpu) {
  Matrix l = cholesky(test::random_spd(64, 6));
  std::vector<double> mean(64, 0.0005);
  SampleSpec spec;
  spec.seed = 42;
  spec.chol = l;
  spec.mean = mean;
  for (double nu : {0.0, 5.0}) {
    spec.nu = nu;
    spec.antithetic = nu > 0;
    EXPECT_LT(test::max_abs_diff(sample(spec, 5000, 64, kGpu), sample(spec, 5000, 64, Backend::cpu)), 1e-11)
        << "nu=" << nu;
  }
}

TEST(Cuda, PortfolioReturnsMatchCpu) {
  for (std::size_t d : {63u, 500u}) {  // odd d: the last pair's second normal is dropped
    Matrix l = cholesky(test::random_spd(d, 7));
    std::vector<double> mean(d, 0.0003), w(d);
    for (std::size_t i = 0; i < d; ++i) w[i] = (i % 3 == 0 ? -0.5 : 1.0) / double(d);
    SampleSpec spec;
    spec.seed = 7;
    spec.first_row = 1001;  // a later block of a larger draw
    spec.chol = l;
    spec.mean = mean;
    for (double nu : {0.0, 4.5}) {
      spec.nu = nu;
      spec.antithetic = nu == 0.0;
      std::vector<double> gpu = sample_portfolio(spec, 20000, w, kGpu),
                          cpu = sample_portfolio(spec, 20000, w, Backend::cpu);
      ASSERT_EQ(gpu.size(), cpu.size());
      double worst = 0;
      for (std::size_t r = 0; r < gpu.size(); ++r) worst = std::max(worst, std::abs(gpu[r] - cpu[r]));
      EXPECT_LT(worst, 1e-12) << "d=" << d << " nu=" << nu;
      // The same rows as the full scenarios weighted on the host.
      Matrix x = sample(spec, 50, d, Backend::cpu);
      for (std::size_t r = 0; r < 50; ++r) {
        double s = 0;
        for (std::size_t i = 0; i < d; ++i) s += w[i] * x(r, i);
        EXPECT_NEAR(gpu[r], s, 1e-12) << "row " << r;
      }
    }
  }
}

TEST(Cuda, SolveAndInverseMatchCpuAndRejectSingular) {
  const std::size_t n = 300;
  Matrix a = test::random_spd(n, 11), b = test::random_returns(n, 7, 12);
  for (std::size_t i = 0; i < n; ++i)  // non-symmetric: solving with Aᵀ by mistake would show
    for (std::size_t j = i + 1; j < n; ++j) a(i, j) += 0.05 * a(i, i) * double((i + 2 * j) % 3);
  Matrix x = solve(a, b, kGpu);
  EXPECT_LT(test::max_abs_diff(gemm(a, x, Trans::no, Trans::no, Backend::cpu), b), 1e-10);
  EXPECT_LT(test::max_abs_diff(x, solve(a, b, Backend::cpu)), 1e-9);
  Matrix inv = inverse(a, kGpu);
  EXPECT_LT(test::max_abs_diff(gemm(a, inv, Trans::no, Trans::no, Backend::cpu), Matrix::identity(n)), 1e-9);
  EXPECT_LT(test::max_abs_diff(inv, inverse(a, Backend::cpu)), 1e-9);
  Matrix singular(3, 3);
  singular(0, 0) = 1;
  singular(1, 1) = 2;  // row 2 is zero
  for (auto f : {+[](MatrixView m) { return inverse(m, kGpu); },
                 +[](MatrixView m) { return solve(m, Matrix::identity(3), kGpu); }})
    try {
      f(singular);
      ADD_FAILURE() << "a singular matrix was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("singular"), std::string::npos) << e.what();
    }
}

TEST(Cuda, MatrixVectorProductsMatchCpu) {
  const std::size_t n = 700;
  Matrix a = test::random_spd(n, 13), lower = a;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) lower(i, j) = std::nan("");  // symv reads the lower triangle only
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = std::sin(double(i)) / double(n);
  std::vector<double> gpu = symv(lower, x, kGpu), cpu = symv(a, x, Backend::cpu);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(gpu[i], cpu[i], 1e-13 * (1 + std::abs(cpu[i]))) << i;
  const double q = quad_form(x, lower, kGpu), q_cpu = quad_form(x, a, Backend::cpu);
  EXPECT_NEAR(q, q_cpu, 1e-13 * std::abs(q_cpu));
  Matrix g = test::random_returns(900, 333, 14);
  std::vector<double> v(333);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(double(i));
  gpu = gemv(g, v, kGpu);
  cpu = gemv(g, v, Backend::cpu);
  ASSERT_EQ(gpu.size(), 900u);
  for (std::size_t i = 0; i < gpu.size(); ++i) EXPECT_NEAR(gpu[i], cpu[i], 1e-14) << i;
}

TEST(Cuda, BatchedGemmMatchesCpu) {
  const std::size_t count = 1000, m = 4, n = 5, k = 3;
  Matrix a = test::random_returns(count * m, k, 15), b = test::random_returns(count * k, n, 16);
  std::span<const double> as(a.data(), a.size()), bs(b.data(), b.size());
  Matrix gpu = batched_gemm(count, m, n, k, as, bs, kGpu), cpu = batched_gemm(count, m, n, k, as, bs, Backend::cpu);
  ASSERT_EQ(gpu.rows(), count * m);
  EXPECT_LT(test::max_abs_diff(gpu, cpu), 1e-16);
}

TEST(Cuda, Fp32MomentsMatchCpu) {
  Matrix x = test::random_returns(2520, 400, 17);
  Matrix cov = covariance(x, Backend::cpu), corr = correlation(x, Backend::cpu);
  double scale = 0;
  for (std::size_t i = 0; i < cov.rows(); ++i) scale = std::max(scale, cov(i, i));
  EXPECT_LT(test::max_abs_diff(covariance_fp32(x, kGpu), cov), 1e-5 * scale);
  Matrix c = correlation_fp32(x, kGpu);
  EXPECT_LT(test::max_abs_diff(c, corr), 1e-5);
  EXPECT_GT(test::max_abs_diff(c, corr), 0.0) << "really computed in fp32";
  EXPECT_LT(test::max_abs_diff(c, correlation_fp32(x, Backend::cpu)), 1e-5);
  for (std::size_t i = 0; i < c.rows(); ++i) EXPECT_EQ(c(i, i), 1.0);
  Matrix big = test::random_returns(6, 3, 18);
  big(2, 1) = 1e20;  // its square overflows fp32 only
  try {
    covariance_fp32(big, kGpu);
    ADD_FAILURE() << "an fp32 overflow was not reported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::non_finite);
    EXPECT_EQ(e.field(), "returns");
  }
}

}  // namespace
}  // namespace sextant::accel
