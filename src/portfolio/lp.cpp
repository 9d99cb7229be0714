// Clp behind a plain-struct interface: no COIN header leaks past this file.
#include "sextant/portfolio/lp.hpp"

#include <ClpSimplex.hpp>

#include <cmath>

namespace sextant::portfolio {

LpResult solve_lp(const LpProblem& p) {
  const int ncol = int(p.cost.size()), nrow = int(p.rows.size());
  // Rows arrive row-wise; Clp takes a column-major matrix.
  std::vector<CoinBigIndex> start(std::size_t(ncol) + 1, 0);
  for (const auto& r : p.rows)
    for (int j : r.index) ++start[std::size_t(j) + 1];
  for (int j = 0; j < ncol; ++j) start[std::size_t(j) + 1] += start[std::size_t(j)];
  std::vector<int> index(std::size_t(start.back()));
  std::vector<double> value(index.size());
  std::vector<CoinBigIndex> fill(start.begin(), start.end() - 1);
  std::vector<double> row_lo(static_cast<std::size_t>(nrow)), row_hi(static_cast<std::size_t>(nrow));
  for (int i = 0; i < nrow; ++i) {
    const auto& r = p.rows[std::size_t(i)];
    for (std::size_t k = 0; k < r.index.size(); ++k) {
      auto at = fill[std::size_t(r.index[k])]++;
      index[std::size_t(at)] = i;
      value[std::size_t(at)] = r.value[k];
    }
    row_lo[std::size_t(i)] = std::isfinite(r.lower) ? r.lower : -COIN_DBL_MAX;
    row_hi[std::size_t(i)] = std::isfinite(r.upper) ? r.upper : COIN_DBL_MAX;
  }
  std::vector<double> col_lo(p.col_lower), col_hi(p.col_upper);
  for (auto& v : col_lo)
    if (!std::isfinite(v)) v = -COIN_DBL_MAX;
  for (auto& v : col_hi)
    if (!std::isfinite(v)) v = COIN_DBL_MAX;

  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(ncol, nrow, start.data(), index.data(), value.data(), col_lo.data(), col_hi.data(), p.cost.data(),
                    row_lo.data(), row_hi.data());
  model.setPrimalTolerance(1e-10);
  model.setDualTolerance(1e-10);
  model.dual();
  LpResult res;
  res.iterations = model.numberIterations();
  if (model.isProvenOptimal()) res.status = LpStatus::optimal;
  else if (model.isProvenPrimalInfeasible()) res.status = LpStatus::infeasible;
  else if (model.isProvenDualInfeasible()) res.status = LpStatus::unbounded;
  else res.status = LpStatus::failed;
  if (res.status == LpStatus::optimal) {
    const double* x = model.getColSolution();
    res.x.assign(x, x + ncol);
    res.objective = model.objectiveValue();
  }
  return res;
}

}  // namespace sextant::portfolio
