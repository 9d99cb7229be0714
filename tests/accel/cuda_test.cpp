// The cuda backend against the cpu backend. Label `gpu`: runs only where a GPU is present
// (ctest --preset gpu, through the device tool); it fails, never skips, when there is none.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sextant::accel
