#include "model.hpp"

#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

// max (μ - rf)ᵀw / √(wᵀΣw) by Charnes–Cooper: y = κw with κ = 1ᵀy / budget.
std::vector<double> max_sharpe_cc(const Model& m, const OptimizeInput& in, int& iterations, double& reg) {
  const double B = in.constraints.budget;
  if (!(std::abs(B) > 0)) fail(ErrorCode::invalid_argument, "constraints.budget", "max_sharpe needs a non-zero budget");
  // A zero covariance leaves every portfolio riskless: the Sharpe ratio is undefined, not 0.
  bool any_risk = false;
  for (double v : in.sigma.flat()) any_risk |= v != 0.0;
  if (!any_risk)
    fail(ErrorCode::infeasible, "covariance", "max_sharpe: the covariance is zero, so no portfolio has risk and the Sharpe ratio is undefined");
  Model h;
  h.n = m.n, h.nv = m.nv, h.checkpoint = m.checkpoint;
  h.lower.assign(m.nv, -kInf), h.upper.assign(m.nv, kInf);
  auto homogenise = [&](std::vector<double> r, double rhs) {
    for (std::size_t i = 0; i < m.n; ++i) r[i] -= rhs / B;
    return r;
  };
  for (std::size_t k = 0; k < m.eq.size(); ++k)
    if (k != m.budget_row) h.add_eq(homogenise(m.eq[k], m.eq_rhs[k]), 0.0, m.eq_name[k]);
  for (std::size_t k = 0; k < m.ineq.size(); ++k) h.add_ineq(homogenise(m.ineq[k], m.ineq_rhs[k]), 0.0, m.ineq_name[k]);
  for (std::size_t j = 0; j < m.nv; ++j) {
    if (m.lower[j] == 0) h.lower[j] = 0;
    else if (std::isfinite(m.lower[j])) {
      auto r = h.row();
      r[j] = 1;
      h.add_ineq(homogenise(r, m.lower[j]), 0.0, fmt::format("bounds[{}] lower", j));
    }
    if (m.upper[j] == 0) h.upper[j] = 0;
    else if (std::isfinite(m.upper[j])) {
      auto r = h.row();
      r[j] = -1;
      h.add_ineq(homogenise(r, -m.upper[j]), 0.0, fmt::format("bounds[{}] upper", j));
    }
  }
  std::vector<double> excess(m.n);
  for (std::size_t i = 0; i < m.n; ++i) excess[i] = in.mu[i] - in.risk_free_rate;
  h.add_eq(w_row(h, excess), 1.0, "excess return above the risk-free rate");
  {
    auto r = h.row();
    for (std::size_t i = 0; i < m.n; ++i) r[i] = 1.0 / B;
    h.add_ineq(std::move(r), 0.0, "budget");
  }
  QpOptions qo;
  qo.checkpoint = m.checkpoint;
  QpResult q = solve_qp(to_qp(h, in.sigma, 1.0, {}), qo);
  if (q.status == QpStatus::infeasible)
    fail(ErrorCode::infeasible, "risk_free_rate",
         "max_sharpe: no portfolio allowed by the constraints has an expected return above the risk-free rate {}", in.risk_free_rate);
  if (q.status != QpStatus::optimal) fail(ErrorCode::internal, "", "max_sharpe: the QP solver did not converge");
  double kappa = 0;
  for (std::size_t i = 0; i < m.n; ++i) kappa += q.x[i];
  kappa /= B;
  if (!(kappa > 1e-14)) fail(ErrorCode::infeasible, "constraints", "max_sharpe: the Sharpe ratio is unbounded under these constraints");
  std::vector<double> w(m.n);
  for (std::size_t i = 0; i < m.n; ++i) w[i] = q.x[i] / kappa;
  iterations = q.iterations;
  reg = q.regularization;
  return w;
}

}  // namespace sextant::portfolio::detail
