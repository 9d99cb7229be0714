// The AVX-512 centred cross-product kernels (avx512.hpp), double and float, against long-double sums, on the shapes that
// exercise its edges: N not a multiple of 8, T across the 256-row packing blocks, more columns than
// one L2 block (192), strided views, and one thread against many.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <vector>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/avx512.hpp"
#include "sextant/core/error.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

// Exact-enough lower triangle of (x − μ)ᵀ(x − μ), with the means passed in.
std::vector<long double> naive(MatrixView x, const std::vector<double>& mean) {
  const std::size_t n = x.cols;
  std::vector<long double> c(n * n, 0.0L);
  for (std::size_t t = 0; t < x.rows; ++t)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j <= i; ++j)
        c[i * n + j] += (long double)(x(t, i) - mean[i]) * (long double)(x(t, j) - mean[j]);
  return c;
}

std::vector<double> means(MatrixView x) {
  std::vector<double> m(x.cols, 0.0);
  for (std::size_t t = 0; t < x.rows; ++t)
    for (std::size_t j = 0; j < x.cols; ++j) m[j] += x(t, j);
  for (double& v : m) v /= double(x.rows);
  return m;
}

// Without AVX-512 the kernel may not run; the cpu backend's fallback must then match the reference.
bool fallback_checked(const Matrix& x) {
  if (cpu_has_avx512()) return false;
  if (x.rows() < 2) {  // too short for a correlation: both backends refuse it alike
    EXPECT_THROW((void)correlation(x, Backend::cpu), Error);
    EXPECT_THROW((void)correlation(x, Backend::reference), Error);
  } else {
    EXPECT_LT(test::max_abs_diff(correlation(x, Backend::cpu), correlation(x, Backend::reference)), 1e-12);
  }
  return true;
}

class CrossProductShapes : public ::testing::TestWithParam<std::pair<std::size_t, std::size_t>> {};

TEST_P(CrossProductShapes, KernelMatchesLongDoubleSumsOrTheCpuBackendFallsBack) {
  auto [t, n] = GetParam();
  Matrix x = test::random_returns(t, n, 100 + n);
  if (fallback_checked(x)) return;
  const std::vector<double> mu = means(x);
  Matrix c(n, n);
  centred_cross_product(x, mu.data(), c.mut());
  const auto want = naive(x, mu);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      const double scale = std::sqrt(double(want[i * n + i] * want[j * n + j]));
      ASSERT_LE(std::abs(double(c(i, j) - want[i * n + j])), 1e-14 * scale + 1e-300) << i << "," << j;
    }
  // Single precision: float products and sums over T rows, so a relative error of order T·2⁻²⁴ at most.
  std::vector<float> cf(n * n, -1.0f);
  centred_cross_product(x, mu.data(), BasicMatrixView<float>(cf.data(), n, n));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      const double scale = std::sqrt(double(want[i * n + i] * want[j * n + j]));
      ASSERT_LE(std::abs(double(cf[i * n + j]) - double(want[i * n + j])), 1e-4 * scale + 1e-300) << i << "," << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CrossProductShapes,
                         ::testing::Values(std::pair<std::size_t, std::size_t>{1, 1},
                                           std::pair<std::size_t, std::size_t>{2, 5},
                                           std::pair<std::size_t, std::size_t>{9, 8},
                                           std::pair<std::size_t, std::size_t>{256, 24},
                                           std::pair<std::size_t, std::size_t>{257, 17},
                                           std::pair<std::size_t, std::size_t>{600, 203},
                                           std::pair<std::size_t, std::size_t>{300, 400}));

TEST(CrossProduct, StridedViewsGiveTheSameResult) {
  const std::size_t t = 300, n = 37;
  Matrix wide = test::random_returns(t, n + 5, 7);
  if (fallback_checked(wide)) return;
  MatrixView x(wide.data(), t, n, n + 5);  // the first n columns, ld = n + 5
  Matrix packed(t, n);
  for (std::size_t r = 0; r < t; ++r)
    for (std::size_t j = 0; j < n; ++j) packed(r, j) = x(r, j);
  const std::vector<double> mu = means(packed);
  Matrix a(n, n), big(n, n + 3);
  centred_cross_product(packed, mu.data(), a.mut());
  centred_cross_product(x, mu.data(), MutMatrixView(big.data(), n, n, n + 3));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) EXPECT_EQ(a(i, j), big(i, j));
}

TEST(CrossProduct, OneThreadAndManyAgreeExactly) {
  const std::size_t t = 700, n = 250;
  Matrix x = test::random_returns(t, n, 9);
  if (fallback_checked(x)) return;
  const std::vector<double> mu = means(x);
  Matrix many(n, n), one(n, n);
  centred_cross_product(x, mu.data(), many.mut());
  {
    tbb::global_control only(tbb::global_control::max_allowed_parallelism, 1);
    centred_cross_product(x, mu.data(), one.mut());
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) ASSERT_EQ(one(i, j), many(i, j));
}

}  // namespace
}  // namespace sextant::accel
