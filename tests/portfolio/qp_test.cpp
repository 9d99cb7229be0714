// Goldfarb–Idnani QP solver: quadprog's documented example, KKT conditions on random problems,
// screening and warm starts that change nothing, infeasibility with its conflicting constraints.
// The Clp wrapper (solve_lp) on coefficients past Clp's own limits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "sextant/core/error.hpp"
#include "sextant/portfolio/lp.hpp"
#include "sextant/portfolio/qp.hpp"
#include "support/test_support.hpp"

namespace sextant::portfolio {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Qp, QuadprogDocumentedExample) {
  // R: solve.QP(diag(3), c(0,5,0), matrix(c(-4,-3,0,2,1,0,0,-2,1),3,3), c(-8,2,0))
  QpProblem p;
  p.G = Matrix::identity(3);
  p.a = {0, -5, 0};
  p.C = Matrix(3, 3);
  double rows[3][3] = {{-4, -3, 0}, {2, 1, 0}, {0, -2, 1}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) p.C(i, j) = rows[i][j];
  p.c = {-8, 2, 0};
  auto r = solve_qp(p);
  ASSERT_EQ(r.status, QpStatus::optimal);
  EXPECT_NEAR(r.x[0], 0.4761904761904762, 1e-14);
  EXPECT_NEAR(r.x[1], 1.0476190476190477, 1e-14);
  EXPECT_NEAR(r.x[2], 2.0952380952380953, 1e-14);
  EXPECT_NEAR(r.objective, -2.380952380952381, 1e-14);
  EXPECT_EQ(r.active.size(), 2u);
}

// Checks the KKT conditions: feasibility, Gx + a = Σ u_k ∇_k, u >= 0 on inequalities, complementarity.
void expect_kkt(const QpProblem& p, const QpResult& r, double tol) {
  const std::size_t n = p.a.size(), me = p.e.size(), mi = p.c.size();
  ASSERT_EQ(r.status, QpStatus::optimal);
  std::vector<double> resid(n);
  for (std::size_t i = 0; i < n; ++i) {
    double g = p.a[i];
    for (std::size_t j = 0; j < n; ++j) g += p.G(i, j) * r.x[j];
    resid[i] = g;
  }
  for (std::size_t k = 0; k < r.active.size(); ++k) {
    std::size_t id = std::size_t(r.active[k]);
    double u = r.multipliers[k];
    if (id >= me) {
      EXPECT_GE(u, -tol) << "multiplier of " << id;
    }
    if (id < me) {
      for (std::size_t i = 0; i < n; ++i) resid[i] -= u * p.E(id, i);
    } else if (id < me + mi) {
      for (std::size_t i = 0; i < n; ++i) resid[i] -= u * p.C(id - me, i);
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += p.C(id - me, i) * r.x[i];
      EXPECT_NEAR(s, p.c[id - me], tol);
    } else {
      std::size_t b = id - me - mi;
      if (b < n) {
        resid[b] -= u;
        EXPECT_NEAR(r.x[b], p.lower[b], tol);
      } else {
        resid[b - n] += u;
        EXPECT_NEAR(r.x[b - n], p.upper[b - n], tol);
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(resid[i], 0.0, tol) << "stationarity " << i;
  for (std::size_t k = 0; k < me; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += p.E(k, i) * r.x[i];
    EXPECT_NEAR(s, p.e[k], tol);
  }
  for (std::size_t k = 0; k < mi; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += p.C(k, i) * r.x[i];
    EXPECT_GE(s, p.c[k] - tol);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!p.lower.empty()) {
      EXPECT_GE(r.x[i], p.lower[i] - tol);
    }
    if (!p.upper.empty()) {
      EXPECT_LE(r.x[i], p.upper[i] + tol);
    }
  }
}

// Long-only min-variance with a budget and one group cap, on a random covariance.
QpProblem portfolio_problem(std::size_t n, std::uint64_t seed) {
  QpProblem p;
  Matrix x = test::random_returns(2 * n + 50, n, seed);
  p.G = Matrix(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0, mi = 0, mj = 0;
      for (std::size_t t = 0; t < x.rows(); ++t) mi += x(t, i), mj += x(t, j);
      mi /= double(x.rows()), mj /= double(x.rows());
      for (std::size_t t = 0; t < x.rows(); ++t) s += (x(t, i) - mi) * (x(t, j) - mj);
      p.G(i, j) = s / double(x.rows() - 1) * 1e4;
    }
  p.a.assign(n, 0.0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  for (auto& v : p.a) v = 0.05 * nd(rng);
  p.E = Matrix(1, n, 1.0);
  p.e = {1.0};
  p.C = Matrix(1, n);
  for (std::size_t i = 0; i < n / 3; ++i) p.C(0, i) = -1.0;  // Σ first third <= 0.2
  p.c = {-0.2};
  p.lower.assign(n, 0.0);
  p.upper.assign(n, 0.25);
  return p;
}

TEST(Qp, KktHoldsOnRandomPortfolioProblems) {
  for (std::size_t n : {5u, 30u, 120u}) {
    auto p = portfolio_problem(n, 7 + n);
    auto r = solve_qp(p);
    expect_kkt(p, r, 1e-9);
  }
}

TEST(Qp, ScreeningAndWarmStartsGiveTheSameSolution) {
  auto p = portfolio_problem(150, 11);
  QpOptions full;
  full.screening = false;
  auto a = solve_qp(p, full);
  auto b = solve_qp(p);
  ASSERT_EQ(a.status, QpStatus::optimal);
  ASSERT_EQ(b.status, QpStatus::optimal);
  for (std::size_t i = 0; i < 150; ++i) EXPECT_NEAR(a.x[i], b.x[i], 1e-10);
  EXPECT_NEAR(a.objective, b.objective, 1e-12 * std::abs(a.objective));
  expect_kkt(p, b, 1e-9);
  auto c = solve_qp(p, full, a.active);  // warm from the solution's own active set: few iterations
  for (std::size_t i = 0; i < 150; ++i) EXPECT_NEAR(a.x[i], c.x[i], 1e-10);
  EXPECT_LE(c.iterations, a.iterations);
  auto d = solve_qp(p, {}, a.active);
  for (std::size_t i = 0; i < 150; ++i) EXPECT_NEAR(a.x[i], d.x[i], 1e-10);
}

TEST(Qp, EqualityOnlyIsTheClosedForm) {
  // min ½xᵀGx s.t. 1ᵀx = 1  →  x = G⁻¹1 / 1ᵀG⁻¹1.
  Matrix G = test::random_spd(8, 3);
  QpProblem p;
  p.G = G;
  p.a.assign(8, 0.0);
  p.E = Matrix(1, 8, 1.0);
  p.e = {1.0};
  auto r = solve_qp(p);
  expect_kkt(p, r, 1e-10);
}

TEST(Qp, InfeasibleReportsTheConflict) {
  QpProblem p;
  p.G = Matrix::identity(3);
  p.a = {0, 0, 0};
  p.E = Matrix(1, 3, 1.0);  // Σx = 1
  p.e = {1};
  p.lower = {0, 0, 0};
  p.upper = {0.3, 0.3, 0.3};  // Σx <= 0.9
  auto r = solve_qp(p);
  EXPECT_EQ(r.status, QpStatus::infeasible);
  ASSERT_FALSE(r.conflict.empty());
  EXPECT_EQ(r.conflict.front(), 0);  // the budget row takes part
  // Group min that the bounds cannot reach.
  QpProblem q;
  q.G = Matrix::identity(2);
  q.a = {0, 0};
  q.C = Matrix(1, 2);
  q.C(0, 0) = 1;  // x0 >= 2
  q.c = {2};
  q.upper = {1, kInf};
  q.lower = {-kInf, -kInf};
  auto s = solve_qp(q);
  EXPECT_EQ(s.status, QpStatus::infeasible);
  EXPECT_EQ(s.conflict, (std::vector<int>{0, 3}));  // C row 0 (id 0) and x0's upper bound (id 1 + 2 + 0)
}

TEST(Qp, SingularHessianIsRegularisedAndReported) {
  QpProblem p;
  p.G = Matrix(2, 2, 1.0);  // rank one
  p.a = {0, 0};
  p.E = Matrix(1, 2);
  p.E(0, 0) = 1, p.E(0, 1) = -1;
  p.e = {0.5};
  auto r = solve_qp(p);
  ASSERT_EQ(r.status, QpStatus::optimal);
  EXPECT_GT(r.regularization, 0.0);
  EXPECT_NEAR(r.x[0] - r.x[1], 0.5, 1e-12);
  EXPECT_NEAR(r.x[0] + r.x[1], 0.0, 1e-6);
}

TEST(Qp, BadInputNamesTheField) {
  QpProblem p;
  p.G = Matrix(2, 3);
  p.a = {0, 0};
  try {
    solve_qp(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "G");
  }
  p.G = Matrix::identity(2);
  p.lower = {1, 0};
  p.upper = {0, 1};
  try {
    solve_qp(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "bounds[0]");
    EXPECT_EQ(e.code(), ErrorCode::infeasible);
  }
}

// Clp asserts |cost| < 1e25 (it aborted the server on expected returns of 1e308); the wrapper scales
// the objective and each row by powers of two, which leaves the optimum unchanged.
TEST(Lp, CoefficientsPastClpLimitsAreScaledExactly) {
  auto simplex = [](double cost_unit, double row_unit) {
    LpProblem p;
    p.cost = {3 * cost_unit, 1 * cost_unit, 2 * cost_unit};
    p.col_lower = {0, 0, 0};
    p.col_upper = {1, 1, 1};
    p.rows.push_back({{0, 1, 2}, {row_unit, row_unit, row_unit}, row_unit, row_unit});  // Σx = 1
    return solve_lp(p);
  };
  for (auto [c, r] : {std::pair{1.0, 1.0}, {1e300, 1.0}, {1.0, 1e300}, {-1e307, 1e200}}) {
    LpResult res = simplex(c, r);
    ASSERT_EQ(res.status, LpStatus::optimal) << c << " " << r;
    const std::size_t best = c > 0 ? 1 : 0;  // the cheapest column, or the dearest when costs are negative
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(res.x[j], j == best ? 1.0 : 0.0) << c << " " << r;
    EXPECT_DOUBLE_EQ(res.objective, (c > 0 ? 1 : 3) * c);
  }
}

}  // namespace
}  // namespace sextant::portfolio
