// min-CVaR: the Rockafellar–Uryasev LP over the return scenarios, solved by Clp.
#include "model.hpp"

#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

std::vector<double> min_cvar(const OptimizeInput& in, const Model& m, double& cvar, int& iterations) {
  const Matrix& R = in.scenarios;
  const std::size_t n = m.n, T = R.rows();
  if (T == 0) fail(ErrorCode::invalid_argument, "returns", "min_cvar needs return scenarios ('returns')");
  if (R.cols() != n) fail(ErrorCode::dimension_mismatch, "returns", "'returns' has {} columns for {} assets", R.cols(), n);
  const double alpha = in.cvar_confidence;
  if (!(alpha > 0 && alpha < 1)) fail(ErrorCode::invalid_argument, "cvar_confidence", "'cvar_confidence' must be in (0, 1)");
  // Columns: v (nv), ζ, z_1..z_T.  min ζ + Σz/((1-α)T)  s.t.  z_t + r_t·w + ζ >= 0, z >= 0.
  LpProblem lp = to_lp(m, {});
  const std::size_t zeta = m.nv;
  lp.cost.push_back(1.0), lp.col_lower.push_back(-kInf), lp.col_upper.push_back(kInf);
  const double c = 1.0 / ((1 - alpha) * double(T));
  for (std::size_t t = 0; t < T; ++t) {
    lp.cost.push_back(c), lp.col_lower.push_back(0.0), lp.col_upper.push_back(kInf);
    LpRow r;
    for (std::size_t i = 0; i < n; ++i)
      if (R(t, i) != 0) r.index.push_back(int(i)), r.value.push_back(R(t, i));
    r.index.push_back(int(zeta)), r.value.push_back(1.0);
    r.index.push_back(int(zeta + 1 + t)), r.value.push_back(1.0);
    r.lower = 0.0;
    lp.rows.push_back(std::move(r));
  }
  if (in.target_return) {
    LpRow r;
    for (std::size_t i = 0; i < n; ++i) r.index.push_back(int(i)), r.value.push_back(in.mu[i]);
    r.lower = *in.target_return;
    lp.rows.push_back(std::move(r));
  }
  if (in.deadline != std::chrono::steady_clock::time_point::max())
    lp.max_seconds = std::max(1e-3, std::chrono::duration<double>(in.deadline - std::chrono::steady_clock::now()).count());
  if (in.checkpoint) in.checkpoint();
  auto res = solve_lp(lp);
  if (res.status == LpStatus::time_limit)
    fail(ErrorCode::timeout, "", "min_cvar: the LP passed the request's deadline (request_timeout_ms) and was abandoned");
  if (res.status == LpStatus::infeasible) fail(ErrorCode::infeasible, "constraints", "min_cvar: the constraints have no feasible point");
  if (res.status != LpStatus::optimal) fail(ErrorCode::internal, "", "min_cvar: the LP solver failed");
  cvar = res.objective;
  iterations = res.iterations;
  return {res.x.begin(), res.x.begin() + long(n)};
}

}  // namespace sextant::portfolio::detail
