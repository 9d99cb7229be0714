// The matrix-vector kernels (level2.hpp; AVX-512 or AVX2, whichever this CPU runs) against long-double sums, on the shapes that exercise
// their edges: N not a multiple of 4, 8 or 16, the serial and the threaded paths, strided views (the
// symmetric kernel must read only the lower triangle), and one thread against many.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <limits>
#include <vector>

#include "sextant/accel/level2.hpp"
#include "sextant/accel/ops.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

// A symmetric matrix stored in a wider buffer (ld > n) whose upper triangle and padding hold NaN:
// a kernel that reads past the lower triangle gives NaN.
struct LowerOnly {
  std::vector<double> buf;
  std::size_t n, ld;
  std::vector<long double> full;  // the symmetric matrix, for the exact product
  LowerOnly(std::size_t n_, std::uint64_t seed) : buf(n_ * (n_ + 3), std::numeric_limits<double>::quiet_NaN()), n(n_), ld(n_ + 3), full(n_ * n_) {
    Matrix r = test::random_returns(n, n, seed);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j <= i; ++j) {
        const double v = (r(i, j) + r(j, i)) * (i == j ? 4.0 : 1.0);
        buf[i * ld + j] = v;
        full[i * n + j] = full[j * n + i] = v;
      }
  }
  MatrixView view() const { return MatrixView(buf.data(), n, n, ld); }
};

std::vector<double> vec(std::size_t n, std::uint64_t seed) {
  Matrix r = test::random_returns(1, n, seed);
  return std::vector<double>(r.data(), r.data() + n);
}

class Level2Sizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Level2Sizes, SymmetricMatvecReadsOnlyTheLowerTriangleAndMatchesLongDouble) {
  const std::size_t n = GetParam();
  LowerOnly a(n, 10 + n);
  const std::vector<double> x = vec(n, 20 + n);
  if (level2_kernels() == Level2Kernels::none) {  // the cpu backend's OpenBLAS fallback must then match the reference
    Matrix full(n, n);
    for (std::size_t i = 0; i < n * n; ++i) full.data()[i] = double(a.full[i]);
    const auto got = symv(full, x, Backend::cpu), want = symv(full, x, Backend::reference);
    for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], want[i], 1e-13);
    return;
  }
  std::vector<double> y(n, -1.0);
  symmetric_matvec(a.view(), x.data(), y.data());
  for (std::size_t i = 0; i < n; ++i) {
    long double want = 0, scale = 0;
    for (std::size_t k = 0; k < n; ++k) want += a.full[i * n + k] * x[k], scale += std::abs(a.full[i * n + k] * x[k]);
    ASSERT_LE(std::abs(y[i] - double(want)), 1e-15 * double(scale) + 1e-300) << "row " << i << " of " << n;
  }
}

TEST_P(Level2Sizes, MatvecMatchesLongDoubleOnAStridedView) {
  const std::size_t n = GetParam();
  // Fewer rows than one 4-row block, a ragged last block, and (133 rows, n ≥ 124) the threaded path
  // with a last block of 69 rows.
  for (std::size_t rows : {std::size_t(1), std::size_t(3), 2 * n + 3, std::size_t(133)}) {
    Matrix big = test::random_returns(rows, n + 5, 30 + n + rows);
    MatrixView a(big.data() + 1, rows, n, big.cols());  // unaligned rows, ld > n
    const std::vector<double> x = vec(n, 40 + n);
    std::vector<double> y(rows, -1.0);
    if (level2_kernels() != Level2Kernels::none) matvec(a, x.data(), y.data());
    else y = gemv(a, x, Backend::cpu);
    for (std::size_t r = 0; r < rows; ++r) {
      long double want = 0, scale = 0;
      for (std::size_t k = 0; k < n; ++k) want += (long double)a(r, k) * x[k], scale += std::abs((long double)a(r, k) * x[k]);
      ASSERT_LE(std::abs(y[r] - double(want)), 1e-15 * double(scale) + 1e-300) << "row " << r << " of " << rows;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Level2Sizes, ::testing::Values(1, 3, 4, 7, 8, 15, 16, 17, 33, 100, 250, 517, 1000));

TEST(Level2, SymmetricMatvecDoesNotDependOnTheThreadCount) {
  LowerOnly a(701, 7);
  const std::vector<double> x = vec(701, 8);
  if (level2_kernels() == Level2Kernels::none) {  // then the cpu backend is OpenBLAS: check it against the reference instead
    Matrix full(701, 701);
    for (std::size_t i = 0; i < 701 * 701; ++i) full.data()[i] = double(a.full[i]);
    const auto got = symv(full, x, Backend::cpu), want = symv(full, x, Backend::reference);
    for (std::size_t i = 0; i < 701; ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
    return;
  }
  std::vector<double> many(701), one(701);
  symmetric_matvec(a.view(), x.data(), many.data());
  {
    tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
    symmetric_matvec(a.view(), x.data(), one.data());
  }
  for (std::size_t i = 0; i < 701; ++i) ASSERT_EQ(many[i], one[i]) << i;
}

}  // namespace
}  // namespace sextant::accel
