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
  Matrix a = test::random_returns(300, 170, 1), b = test::random_returns(170, 90, 2), c = test::random_returns(300, 90, 3);
  EXPECT_LT(test::max_abs_diff(gemm(a, b, Trans::no, Trans::no, kGpu), gemm(a, b, Trans::no, Trans::no, Backend::cpu)), 1e-15);
  EXPECT_LT(test::max_abs_diff(gemm(a, c, Trans::yes, Trans::no, kGpu), gemm(a, c, Trans::yes, Trans::no, Backend::cpu)), 1e-15);
  EXPECT_LT(test::max_abs_diff(gemm(b, b, Trans::no, Trans::yes, kGpu), gemm(b, b, Trans::no, Trans::yes, Backend::cpu)), 1e-15);
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

}  // namespace
}  // namespace sextant::accel
