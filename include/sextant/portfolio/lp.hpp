#pragma once
// Linear programs through COIN-OR Clp (primal simplex):
//   minimise costᵀx  subject to  row.lower <= row·x <= row.upper,  col_lower <= x <= col_upper.
// Used by min-CVaR (Rockafellar–Uryasev) and to find the attainable return range of a frontier.
#include <limits>
#include <vector>

namespace sextant::portfolio {

struct LpRow {
  std::vector<int> index;
  std::vector<double> value;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

struct LpProblem {
  std::vector<double> cost, col_lower, col_upper;  //!< one per column
  std::vector<LpRow> rows;
  double max_seconds = 0;  //!< Clp's time limit; 0: none
};

enum class LpStatus { optimal, infeasible, unbounded, time_limit, failed };

struct LpResult {
  LpStatus status = LpStatus::failed;
  std::vector<double> x;
  double objective = 0;
  int iterations = 0;
};

LpResult solve_lp(const LpProblem& p);

}  // namespace sextant::portfolio
