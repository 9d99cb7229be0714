// Every accelerator op on the cpu backend against the reference backend, on random and real data.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/config.hpp"
#include "sextant/core/error.hpp"
#include "support/test_support.hpp"

namespace sextant::accel {
namespace {

using test::max_abs_diff;

constexpr Backend kRef = Backend::reference;
constexpr Backend kCpu = Backend::cpu;

class OpsOnShapes : public ::testing::TestWithParam<std::pair<std::size_t, std::size_t>> {};

TEST_P(OpsOnShapes, CovarianceAndCorrelationMatchReference) {
  auto [t, n] = GetParam();
  Matrix x = test::random_returns(t, n, 11 + n);
  Matrix cov_ref = covariance(x, kRef), cov_cpu = covariance(x, kCpu);
  EXPECT_LT(max_abs_diff(cov_ref, cov_cpu), 1e-15);
  Matrix cor_ref = correlation(x, kRef), cor_cpu = correlation(x, kCpu);
  EXPECT_LT(max_abs_diff(cor_ref, cor_cpu), 1e-12);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(cor_cpu(i, i), 1.0) << "unit diagonal, exactly";
    for (std::size_t j = 0; j < n; ++j) EXPECT_EQ(cor_cpu(i, j), cor_cpu(j, i)) << "exactly symmetric";
  }
}

TEST_P(OpsOnShapes, CorrelationIsPositiveSemidefinite) {
  auto [t, n] = GetParam();
  Matrix c = correlation(test::random_returns(t, n, 3), kCpu);
  auto e = eigh(c, kCpu);
  EXPECT_GT(e.values.back(), -1e-10);
  double trace = 0;
  for (double v : e.values) trace += v;
  EXPECT_NEAR(trace, double(n), 1e-9);
}

TEST_P(OpsOnShapes, GemmMatchesReferenceForEveryTransposeCombination) {
  auto [t, n] = GetParam();
  Matrix a = test::random_returns(t, n, 5), b = test::random_returns(t, n, 6);
  Matrix sq = test::random_returns(n, n, 7);
  EXPECT_LT(max_abs_diff(gemm(a, sq, Trans::no, Trans::no, kRef), gemm(a, sq, Trans::no, Trans::no, kCpu)), 1e-15);
  EXPECT_LT(max_abs_diff(gemm(a, b, Trans::yes, Trans::no, kRef), gemm(a, b, Trans::yes, Trans::no, kCpu)), 1e-14);
  EXPECT_LT(max_abs_diff(gemm(a, b, Trans::no, Trans::yes, kRef), gemm(a, b, Trans::no, Trans::yes, kCpu)), 1e-14);
  EXPECT_LT(max_abs_diff(gemm(sq, sq, Trans::yes, Trans::yes, kRef), gemm(sq, sq, Trans::yes, Trans::yes, kCpu)),
            1e-14);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OpsOnShapes,
                         ::testing::Values(std::pair<std::size_t, std::size_t>{3, 1}, std::pair<std::size_t, std::size_t>{40, 7},
                                           std::pair<std::size_t, std::size_t>{300, 64},
                                           std::pair<std::size_t, std::size_t>{700, 129}));

class SquareOps : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SquareOps, CholeskyMatchesReferenceAndReconstructs) {
  std::size_t n = GetParam();
  Matrix a = test::random_spd(n, 21);
  Matrix l_ref = cholesky(a, kRef), l_cpu = cholesky(a, kCpu);
  EXPECT_LT(max_abs_diff(l_ref, l_cpu), 1e-12);
  Matrix llt = gemm(l_cpu, l_cpu, Trans::no, Trans::yes, kCpu);
  EXPECT_LT(max_abs_diff(llt, a), 1e-12);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) EXPECT_EQ(l_cpu(i, j), 0.0);
}

TEST_P(SquareOps, SolveAndInverseMatchReference) {
  std::size_t n = GetParam();
  Matrix a = test::random_spd(n, 22), b = test::random_returns(n, 3, 23);
  Matrix x_ref = solve(a, b, kRef), x_cpu = solve(a, b, kCpu);
  EXPECT_LT(max_abs_diff(x_ref, x_cpu), 1e-8 * (1 + test::max_abs_diff(x_ref, Matrix(n, 3))));
  Matrix ax = gemm(a, x_cpu, Trans::no, Trans::no, kCpu);
  EXPECT_LT(max_abs_diff(ax, b), 1e-10);
  Matrix inv = inverse(a, kCpu);
  EXPECT_LT(max_abs_diff(gemm(a, inv, Trans::no, Trans::no, kCpu), Matrix::identity(n)), 1e-9);
  EXPECT_LT(max_abs_diff(inverse(a, kRef), inv), 1e-6 * (1 + test::max_abs_diff(inv, Matrix(n, n))));
}

// The cpu backend factors Aᵀ (row-major A read column-major) and solves with trans 'T'; only a
// non-symmetric A tells that apart from solving with Aᵀ.
TEST_P(SquareOps, SolveAndInverseOfANonSymmetricMatrix) {
  std::size_t n = GetParam();
  Matrix a = test::random_spd(n, 24), b = test::random_returns(n, 3, 25);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) a(i, j) += 0.05 * a(i, i) * double((i + 2 * j) % 3);
  for (Backend be : {kRef, kCpu}) {
    Matrix x = solve(a, b, be);
    EXPECT_LT(max_abs_diff(gemm(a, x, Trans::no, Trans::no, kRef), b), 1e-10) << backend_name(be);
    EXPECT_LT(max_abs_diff(gemm(a, inverse(a, be), Trans::no, Trans::no, kRef), Matrix::identity(n)), 1e-9) << backend_name(be);
  }
}

TEST_P(SquareOps, EighMatchesReferenceWithSignConvention) {
  std::size_t n = GetParam();
  Matrix a = correlation(test::random_returns(4 * n + 10, n, 31), kCpu);
  auto ref = eigh(a, kRef), cpu = eigh(a, kCpu);
  for (std::size_t j = 0; j < n; ++j) {
    EXPECT_NEAR(ref.values[j], cpu.values[j], 1e-12);
    if (j) {
      EXPECT_GE(cpu.values[j - 1], cpu.values[j]) << "descending";
    }
    double big = 0;
    for (std::size_t i = 0; i < n; ++i) big = std::max(big, std::abs(cpu.vectors(i, j)));
    std::size_t arg = 0;  // the first entry within 1e-12 of the largest |entry| (ties)
    while (std::abs(cpu.vectors(arg, j)) < big * (1 - 1e-12)) ++arg;
    EXPECT_GT(cpu.vectors(arg, j), 0.0) << "largest |entry| positive";
  }
  EXPECT_LT(max_abs_diff(ref.vectors, cpu.vectors), 1e-9);
  // A·V = V·Λ
  Matrix av = gemm(a, cpu.vectors, Trans::no, Trans::no, kCpu);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) EXPECT_NEAR(av(i, j), cpu.vectors(i, j) * cpu.values[j], 1e-12);
}

TEST_P(SquareOps, TopKEqualsLeadingColumnsOfFull) {
  std::size_t n = GetParam();
  Matrix a = correlation(test::random_returns(4 * n + 10, n, 41), kCpu);
  std::size_t k = std::min<std::size_t>(5, n);
  auto full = eigh(a, kCpu);
  for (Backend b : {kRef, kCpu}) {
    auto top = eigh_topk(a, k, b);
    ASSERT_EQ(top.values.size(), k);
    for (std::size_t j = 0; j < k; ++j) {
      EXPECT_NEAR(top.values[j], full.values[j], 1e-12);
      for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(top.vectors(i, j), full.vectors(i, j), 1e-9);
    }
  }
}

TEST_P(SquareOps, QuadFormMatchesReference) {
  std::size_t n = GetParam();
  Matrix a = test::random_spd(n, 51);
  Matrix w = test::random_returns(n, 1, 52);
  double ref = quad_form(w.flat(), a, kRef), cpu = quad_form(w.flat(), a, kCpu);
  EXPECT_NEAR(ref, cpu, 1e-13 * std::abs(ref));
  EXPECT_GT(cpu, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SquareOps, ::testing::Values(1, 2, 9, 60, 150));

TEST(BatchedGemm, MatchesReferenceAndSingleProducts) {
  const std::size_t count = 37, m = 4, n = 5, k = 3;
  Matrix a = test::random_returns(count * m, k, 61), b = test::random_returns(count * k, n, 62);
  Matrix ref = batched_gemm(count, m, n, k, a.flat(), b.flat(), kRef);
  Matrix cpu = batched_gemm(count, m, n, k, a.flat(), b.flat(), kCpu);
  EXPECT_LT(max_abs_diff(ref, cpu), 1e-15);
  Matrix one = gemm(MatrixView(a.row(7 * m), m, k), MatrixView(b.row(7 * k), k, n));
  EXPECT_LT(max_abs_diff(one, MatrixView(cpu.row(7 * m), m, n)), 1e-16);
}

TEST(RealData, DowJonesOpsAgreeAcrossBackends) {
  Matrix r = test::dow_log_returns();
  ASSERT_EQ(r.rows(), 2528u);
  ASSERT_EQ(r.cols(), 30u);
  EXPECT_LT(max_abs_diff(covariance(r, kRef), covariance(r, kCpu)), 1e-17);
  EXPECT_LT(max_abs_diff(correlation(r, kRef), correlation(r, kCpu)), 1e-13);
  Matrix cov = covariance(r, kCpu);
  EXPECT_LT(max_abs_diff(cholesky(cov, kRef), cholesky(cov, kCpu)), 1e-15);
  auto e_ref = eigh(cov, kRef), e_cpu = eigh(cov, kCpu);
  for (std::size_t j = 0; j < 30; ++j) EXPECT_NEAR(e_ref.values[j], e_cpu.values[j], 1e-17);
  EXPECT_LT(max_abs_diff(e_ref.vectors, e_cpu.vectors), 1e-8);
}

TEST(Errors, BadShapesAreDimensionErrors) {
  Matrix a(3, 4), b(5, 2), sq(3, 3);
  EXPECT_THROW(gemm(a, b), Error);
  EXPECT_THROW(cholesky(a), Error);
  EXPECT_THROW(eigh(a), Error);
  EXPECT_THROW(eigh_topk(sq, 4), Error);
  EXPECT_THROW(solve(sq, b), Error);
  EXPECT_THROW(covariance(Matrix(1, 3)), Error);
  std::vector<double> w(2);
  EXPECT_THROW(quad_form(w, sq), Error);
  try {
    gemm(a, b);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::dimension_mismatch);
  }
}

TEST(Errors, NotPositiveDefiniteOnEveryBackend) {
  Matrix a = Matrix::identity(3);
  a(2, 2) = -1.0;
  for (Backend b : {kRef, kCpu}) {
    try {
      cholesky(a, b);
      FAIL() << "expected not_positive_definite";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::not_positive_definite);
    }
  }
}

TEST(Errors, SingularSolveIsReported) {
  Matrix a(2, 2);  // zeros
  Matrix b(2, 1, 1.0);
  EXPECT_THROW(solve(a, b, kRef), Error);
  EXPECT_THROW(solve(a, b, kCpu), Error);
}

// Returns whose squares overflow must stop with an error naming the column, not come back as
// correlations of 0 (what 1/sqrt(inf) makes of them) or NaN.
void expect_overflow(const std::function<Matrix()>& op, const char* what) {
  try {
    op();
    ADD_FAILURE() << what << ": expected an overflow error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::non_finite) << what;
    EXPECT_EQ(e.field(), "returns") << what;
    EXPECT_NE(std::string(e.what()).find("column 1 "), std::string::npos) << what << ": " << e.what();
  }
}

TEST(Errors, OverflowingColumnIsReportedOnEveryBackend) {
  Matrix x(6, 3);
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t j = 0; j < 3; ++j) x(r, j) = 0.01 * double((r * 7 + j * 3) % 5) - 0.02;
  Matrix huge = x, big = x;
  huge(2, 1) = 1e200;  // its square overflows fp64
  big(2, 1) = 1e20;    // its square overflows fp32 only
  for (Backend b : {kRef, kCpu}) {
    expect_overflow([&] { return covariance(huge, b); }, "covariance");
    expect_overflow([&] { return correlation(huge, b); }, "correlation");
    expect_overflow([&] { return covariance_fp32(big, b); }, "covariance_fp32");
    expect_overflow([&] { return correlation_fp32(big, b); }, "correlation_fp32");
    Matrix c = correlation(big, b);  // fine in fp64
    EXPECT_NEAR(c(1, 1), 1.0, 0.0);
    EXPECT_TRUE(std::isfinite(c(0, 1)) && std::abs(c(0, 1)) <= 1.0);
  }
}

// An N×N result from a T×N panel is the amplification a request controls (3 rows of 3 million
// columns ask for 72 TB): it is refused before the result is allocated, naming the panel.
TEST(Errors, ResultsOverTheMemoryPoolAreRefusedBeforeAllocation) {
  struct RestoreRouter {
    ~RestoreRouter() { Router::reset(Settings::from_env(process_env())); }
  } restore;
  Settings s;
  s.memory_pool_mb = 1;  // 131,072 doubles
  Router::reset(s);
  Matrix wide(3, 400);  // a 400×400 result is 160,000 doubles
  for (std::size_t j = 0; j < 400; ++j) {
    wide(0, j) = 0.01;
    wide(1, j) = -0.01 * double(j % 3);
    wide(2, j) = 0.002 * double(j % 5);
  }
  using Op = std::function<Matrix()>;
  for (const Op& op : {Op([&] { return covariance(wide); }), Op([&] { return correlation(wide); }),
                       Op([&] { return covariance_fp32(wide); })}) {
    try {
      op();
      ADD_FAILURE() << "expected memory_limit";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::memory_limit);
      EXPECT_EQ(e.field(), "returns");
    }
  }
  Matrix col(400, 1, 1.0), row(1, 400, 1.0);
  EXPECT_THROW(gemm(col, row), Error);
  EXPECT_NO_THROW(gemm(row, col));  // 1×1
  EXPECT_NO_THROW(covariance(Matrix(3, 100, 0.5)));
}

TEST(Errors, EigenSolversRejectNonFiniteMatrices) {
  for (double bad : {std::nan(""), double(INFINITY)}) {
    Matrix a = Matrix::identity(4);
    a(3, 1) = a(1, 3) = bad;
    for (Backend b : {kRef, kCpu}) {
      using Op = std::function<void()>;
      for (const Op& op : {Op([&] { eigh(a, b); }), Op([&] { eigvalsh(a, b); }), Op([&] { eigh_topk(a, 2, b); })}) {
        try {
          op();
          ADD_FAILURE() << "expected non_finite";
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::non_finite);
          EXPECT_NE(std::string(e.what()).find("(1, 3)"), std::string::npos) << e.what();
        }
      }
    }
  }
}

}  // namespace
}  // namespace sextant::accel

namespace sextant::accel {
namespace {
TEST(Eigvalsh, EqualsTheEigenvaluesOfEigh) {
  Matrix a = correlation(test::random_returns(300, 40, 77), Backend::cpu);
  auto full = eigh(a, Backend::cpu);
  for (Backend b : {Backend::reference, Backend::cpu}) {
    auto w = eigvalsh(a, b);
    ASSERT_EQ(w.size(), 40u);
    for (std::size_t j = 0; j < 40; ++j) EXPECT_NEAR(w[j], full.values[j], 1e-12);
  }
}
}  // namespace
}  // namespace sextant::accel

namespace sextant::accel {
namespace {
TEST(Symv, MatchesGemmAndReference) {
  Matrix a = test::random_spd(57, 3);
  Matrix x = test::random_returns(57, 1, 4);
  Matrix want = gemm(a, x, Trans::no, Trans::no, Backend::reference);
  for (Backend b : {Backend::reference, Backend::cpu}) {
    auto y = symv(a, x.flat(), b);
    for (std::size_t i = 0; i < 57; ++i) EXPECT_NEAR(y[i], want(i, 0), 1e-14);
  }
  EXPECT_THROW(symv(a, std::vector<double>(3), Backend::cpu), Error);
}
}  // namespace
}  // namespace sextant::accel

namespace sextant::accel {
namespace {
// Repeated and clustered eigenvalues: any basis of the eigenspace is an answer, so check the
// definition (A·V = V·Λ, VᵀV = I) rather than particular vectors.
TEST(EighTopk, RepeatedEigenvaluesGiveAnOrthonormalBasis) {
  const std::size_t n = 40;
  Matrix q = eigh(correlation(test::random_returns(200, n, 91), Backend::cpu), Backend::cpu).vectors;  // a random orthogonal basis
  std::vector<double> lambda(n, 0.5);
  lambda[0] = lambda[1] = lambda[2] = 3.0;  // a triple top eigenvalue
  lambda[3] = 2.0, lambda[4] = 2.0 * (1 + 1e-13);  // a near-tie
  Matrix a(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k) a(i, j) += q(i, k) * lambda[k] * q(j, k);
  for (Backend b : {Backend::reference, Backend::cpu}) {
    auto top = eigh_topk(a, 6, b);
    for (std::size_t j = 0; j < 6; ++j) EXPECT_NEAR(top.values[j], j < 3 ? 3.0 : j < 5 ? 2.0 : 0.5, 1e-12) << backend_name(b);
    Matrix av = gemm(a, top.vectors, Trans::no, Trans::no, Backend::reference);
    Matrix vtv = gemm(top.vectors, top.vectors, Trans::yes, Trans::no, Backend::reference);
    for (std::size_t j = 0; j < 6; ++j) {
      for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(av(i, j), top.vectors(i, j) * top.values[j], 1e-12) << backend_name(b);
      for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(vtv(i, j), i == j ? 1.0 : 0.0, 1e-12) << backend_name(b);
    }
  }
}

// The features engine's case: the Gram matrix of a 120-day window of 500 instruments (rank 119 once
// centred), its ten leading pairs against the full solve.
TEST(EighTopk, RankDeficientGramMatchesTheFullSolve) {
  const std::size_t w = 120, m = 500;
  Matrix x = test::random_returns(w, m, 93);
  for (std::size_t j = 0; j < m; ++j) {
    double mean = 0;
    for (std::size_t t = 0; t < w; ++t) mean += x(t, j);
    for (std::size_t t = 0; t < w; ++t) x(t, j) -= mean / double(w);
  }
  Matrix g = gemm(x, x, Trans::no, Trans::yes, Backend::reference);
  auto full = eigh(g, Backend::reference);
  auto top = eigh_topk(g, 10, Backend::cpu);
  for (std::size_t j = 0; j < 10; ++j) {
    EXPECT_NEAR(top.values[j], full.values[j], 1e-12 * full.values[0]);
    for (std::size_t i = 0; i < w; ++i) EXPECT_NEAR(top.vectors(i, j), full.vectors(i, j), 1e-9);
  }
  EXPECT_NEAR(eigh_topk(g, w, Backend::cpu).values[w - 1], 0.0, 1e-12 * full.values[0]);  // the centred window's null direction
}
}  // namespace
}  // namespace sextant::accel
