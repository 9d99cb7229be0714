#pragma once
// Dense convex quadratic programming: the Goldfarb–Idnani dual active-set method (the method of
// R's quadprog), with warm starts and support screening.
//
//   minimise ½ xᵀGx + aᵀx   subject to   E x = e,   C x >= c,   lower <= x <= upper
//
// G must be symmetric positive semi-definite. A G that is not positive definite to working precision
// is regularised (G + δI, δ reported) rather than rejected. Every constraint has an id:
//   [0, me)                 rows of E
//   [me, me+mi)             rows of C
//   me+mi+i                 lower bound of x_i
//   me+mi+n+i               upper bound of x_i
// Infeasibility is detected (the dual is unbounded) and reported with the conflicting constraints:
// the constraint that could not be added and the active ones it is a combination of.
#include <functional>
#include <span>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant::portfolio {

struct QpProblem {
  Matrix G;                          //!< n×n, symmetric PSD
  std::vector<double> a;             //!< n
  Matrix E;                          //!< me×n (0×0 when none)
  std::vector<double> e;             //!< me
  Matrix C;                          //!< mi×n (0×0 when none)
  std::vector<double> c;             //!< mi
  std::vector<double> lower, upper;  //!< n each, or empty; ±infinity for "none"
};

struct QpOptions {
  double tolerance = 1e-12;  //!< relative violation accepted as satisfied
  int max_iterations = 0;    //!< 0: 20·(n + m) + 100
  //! Solve on a working subset of the variables (the rest held at their lower bound), grow it until the
  //! KKT conditions of the whole problem hold. Exact at termination; much cheaper when most variables
  //! end at a bound (long-only portfolios). Used for n >= 48 when every lower bound is finite.
  bool screening = true;
  //! Called between steps (after the factorisation, then every 32 constraint additions); it may throw
  //! to abandon the solve, e.g. when a request passes its deadline.
  std::function<void()> checkpoint;
};

enum class QpStatus { optimal, infeasible, max_iterations };
const char* qp_status_name(QpStatus s);

struct QpResult {
  QpStatus status = QpStatus::optimal;
  std::vector<double> x;
  double objective = 0;             //!< ½xᵀGx + aᵀx with the caller's G
  std::vector<int> active;          //!< active constraint ids at the solution (a warm start for the next solve)
  std::vector<double> multipliers;  //!< per active id: Gx + a = Σ u_k ∇(constraint k), u_k >= 0 for inequalities
  std::vector<int> conflict;        //!< when infeasible: the constraint ids that cannot hold together
  int iterations = 0;               //!< constraints added plus dropped
  double regularization = 0;        //!< δ added to G's diagonal (0 when G was positive definite)
};

//! Validates shapes and finiteness (Error naming G, a, E, e, C, c, lower, upper), then solves.
//! `warm_active`: ids active in a related earlier solve; they are tried first.
QpResult solve_qp(const QpProblem& p, const QpOptions& opt = {}, std::span<const int> warm_active = {});

}  // namespace sextant::portfolio
