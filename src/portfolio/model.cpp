// The portfolio model: constraints to rows, and the conversions and solves the objectives share.
#include "model.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

static double mean_variance(const Matrix& sigma) {
  double s = 0;
  for (std::size_t i = 0; i < sigma.rows(); ++i) s += sigma(i, i);
  return s / double(sigma.rows());
}

Model build_model(const OptimizeInput& in) {
  const auto& c = in.constraints;
  const std::size_t n = in.mu.size();
  Model m;
  m.n = n;
  m.checkpoint = in.checkpoint;
  std::size_t aux = 0;
  const bool use_leverage = c.leverage && !c.long_only;
  if (use_leverage) aux += n;
  if (c.max_turnover) aux += n;
  m.nv = n + aux;
  m.lower.assign(m.nv, c.long_only ? 0.0 : -kInf);
  m.upper.assign(m.nv, kInf);
  auto set_bounds = [&](std::size_t i, double lo, double hi, const std::string& field) {
    if (std::isnan(lo) || std::isnan(hi)) fail(ErrorCode::invalid_argument, field, "bounds must be numbers");
    if (lo > hi) fail(ErrorCode::infeasible, field, "lower bound {} exceeds upper bound {}", lo, hi);
    if (c.long_only && lo < 0)
      fail(ErrorCode::invalid_argument, field, "lower bound {} < 0 while long_only is true (set \"long_only\": false to allow shorts)", lo);
    m.lower[i] = lo, m.upper[i] = hi;
  };
  if (c.bounds)
    for (std::size_t i = 0; i < n; ++i) set_bounds(i, c.bounds->first, c.bounds->second, "constraints.bounds");
  if (!c.asset_bounds.empty()) {
    if (c.asset_bounds.size() != n)
      fail(ErrorCode::dimension_mismatch, "constraints.bounds", "'bounds' has {} pairs for {} assets", c.asset_bounds.size(), n);
    for (std::size_t i = 0; i < n; ++i)
      set_bounds(i, c.asset_bounds[i].first, c.asset_bounds[i].second, fmt::format("constraints.bounds[{}]", i));
  }
  if (!std::isfinite(c.budget)) fail(ErrorCode::invalid_argument, "constraints.budget", "'budget' must be finite");
  {
    auto r = m.row();
    for (std::size_t i = 0; i < n; ++i) r[i] = 1.0;
    m.budget_row = m.eq.size();
    m.add_eq(std::move(r), c.budget, "budget");
  }
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const auto& grp = c.groups[g];
    std::string name = grp.name.empty() ? fmt::format("groups[{}]", g) : fmt::format("group '{}'", grp.name);
    if (grp.assets.empty()) fail(ErrorCode::invalid_argument, fmt::format("constraints.groups[{}].assets", g), "a group needs assets");
    if (grp.min > grp.max)
      fail(ErrorCode::infeasible, fmt::format("constraints.groups[{}]", g), "group min {} exceeds max {}", grp.min, grp.max);
    auto r = m.row();
    for (std::size_t a : grp.assets) {
      if (a >= n) fail(ErrorCode::invalid_argument, fmt::format("constraints.groups[{}].assets", g), "asset {} is not among the {} assets", a, n);
      r[a] = 1.0;
    }
    if (std::isfinite(grp.min)) m.add_ineq(r, grp.min, name + " min");
    if (std::isfinite(grp.max)) {
      for (auto& v : r) v = -v;
      m.add_ineq(std::move(r), -grp.max, name + " max");
    }
  }
  std::size_t next = n;
  if (c.leverage) {
    if (!(*c.leverage > 0)) fail(ErrorCode::invalid_argument, "constraints.leverage", "'leverage' must be positive");
    if (c.long_only && *c.leverage < std::abs(c.budget) - 1e-12)
      fail(ErrorCode::infeasible, "constraints.leverage", "long-only weights have gross leverage {} = budget, above the limit {}", c.budget, *c.leverage);
  }
  if (use_leverage) {  // s_i >= |w_i|, Σs <= L
    auto total = m.row();
    for (std::size_t i = 0; i < n; ++i, ++next) {
      auto r1 = m.row(), r2 = m.row();
      r1[next] = 1, r1[i] = -1, r2[next] = 1, r2[i] = 1;
      m.add_ineq(std::move(r1), 0.0, "leverage");
      m.add_ineq(std::move(r2), 0.0, "leverage");
      m.lower[next] = 0, total[next] = -1;
    }
    m.add_ineq(std::move(total), -*c.leverage, "leverage");
  }
  if (c.max_turnover) {  // t_i >= |w_i - w0_i|, Σt <= T
    if (!(*c.max_turnover >= 0)) fail(ErrorCode::invalid_argument, "constraints.max_turnover", "'max_turnover' must be >= 0");
    if (c.current_weights.size() != n)
      fail(ErrorCode::dimension_mismatch, "constraints.current_weights", "'max_turnover' needs 'current_weights' with {} entries (got {})", n,
           c.current_weights.size());
    auto total = m.row();
    for (std::size_t i = 0; i < n; ++i, ++next) {
      double w0 = c.current_weights[i];
      if (!std::isfinite(w0)) fail(ErrorCode::non_finite, fmt::format("constraints.current_weights[{}]", i), "weights must be finite");
      auto r1 = m.row(), r2 = m.row();
      r1[next] = 1, r1[i] = -1, r2[next] = 1, r2[i] = 1;
      m.add_ineq(std::move(r1), -w0, "max_turnover");
      m.add_ineq(std::move(r2), w0, "max_turnover");
      m.lower[next] = 0, total[next] = -1;
    }
    m.add_ineq(std::move(total), -*c.max_turnover, "max_turnover");
  }
  return m;
}

std::vector<double> w_row(const Model& m, const std::vector<double>& coef) {
  auto r = m.row();
  std::copy(coef.begin(), coef.end(), r.begin());
  return r;
}

QpProblem to_qp(const Model& m, const Matrix& sigma, double scale, const std::vector<double>& a_w) {
  QpProblem p;
  p.G = Matrix(m.nv, m.nv);
  for (std::size_t i = 0; i < m.n; ++i)
    for (std::size_t j = 0; j < m.n; ++j) p.G(i, j) = scale * sigma(i, j);
  const double eps = 1e-9 * scale * mean_variance(sigma);
  for (std::size_t i = m.n; i < m.nv; ++i) p.G(i, i) = eps;
  p.a.assign(m.nv, 0.0);
  std::copy(a_w.begin(), a_w.end(), p.a.begin());
  auto pack = [&](const std::vector<std::vector<double>>& rows, Matrix& M) {
    if (rows.empty()) return;
    M = Matrix(rows.size(), m.nv);
    for (std::size_t r = 0; r < rows.size(); ++r) std::copy(rows[r].begin(), rows[r].end(), M.row(r));
  };
  pack(m.eq, p.E);
  pack(m.ineq, p.C);
  p.e = m.eq_rhs;
  p.c = m.ineq_rhs;
  p.lower = m.lower;
  p.upper = m.upper;
  return p;
}

LpProblem to_lp(const Model& m, const std::vector<double>& cost_w) {
  LpProblem lp;
  lp.cost.assign(m.nv, 0.0);
  std::copy(cost_w.begin(), cost_w.end(), lp.cost.begin());
  lp.col_lower = m.lower;
  lp.col_upper = m.upper;
  auto add = [&](const std::vector<double>& row, double lo, double hi) {
    LpRow r;
    for (std::size_t j = 0; j < row.size(); ++j)
      if (row[j] != 0) r.index.push_back(int(j)), r.value.push_back(row[j]);
    r.lower = lo, r.upper = hi;
    lp.rows.push_back(std::move(r));
  };
  for (std::size_t k = 0; k < m.eq.size(); ++k) add(m.eq[k], m.eq_rhs[k], m.eq_rhs[k]);
  for (std::size_t k = 0; k < m.ineq.size(); ++k) add(m.ineq[k], m.ineq_rhs[k], kInf);
  return lp;
}

// Names the constraints of a QP conflict set (ids as in qp.hpp).
[[noreturn]] void fail_infeasible(const Model& m, const std::vector<int>& conflict, std::string_view what) {
  std::vector<std::string> names;
  std::vector<std::size_t> lower_assets, upper_assets;
  const std::size_t me = m.eq.size(), mi = m.ineq.size();
  for (int id : conflict) {
    std::size_t u = std::size_t(id);
    if (u < me) names.push_back(m.eq_name[u]);
    else if (u < me + mi) names.push_back(m.ineq_name[u - me]);
    else {
      std::size_t b = u - me - mi, var = b < m.nv ? b : b - m.nv;
      if (var >= m.n) continue;
      (b < m.nv ? lower_assets : upper_assets).push_back(var);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (!lower_assets.empty()) names.push_back(fmt::format("lower bounds of assets {}", fmt::join(lower_assets, ",")));
  if (!upper_assets.empty()) names.push_back(fmt::format("upper bounds of assets {}", fmt::join(upper_assets, ",")));
  if (names.empty()) fail(ErrorCode::infeasible, "constraints", "{}: the constraints have no feasible point", what);
  fail(ErrorCode::infeasible, "constraints", "{}: no weights satisfy these constraints together: {}", what, fmt::join(names, "; "));
}

QpResult solve_or_fail(const Model& m, const QpProblem& p, std::span<const int> warm, std::string_view what) {
  QpOptions opt;
  opt.checkpoint = m.checkpoint;
  QpResult r = solve_qp(p, opt, warm);
  if (r.status == QpStatus::infeasible) fail_infeasible(m, r.conflict, what);
  if (r.status != QpStatus::optimal) fail(ErrorCode::internal, "", "{}: the QP solver did not converge ({} iterations)", what, r.iterations);
  return r;
}

std::vector<double> weights_of(const Model& m, const std::vector<double>& x) { return {x.begin(), x.begin() + long(m.n)}; }

// Min ½ scale·wᵀΣw + a_wᵀw under the model (plus optional extra equality rows).
QpResult mean_variance_qp(const Model& m, const Matrix& sigma, double scale, const std::vector<double>& a_w,
                          std::span<const int> warm, std::string_view what) {
  return solve_or_fail(m, to_qp(m, sigma, scale, a_w), warm, what);
}

// Highest (sign = -1) or lowest (sign = +1) attainable μᵀw under the model.
double extreme_return(const Model& m, const std::vector<double>& mu, double sign) {
  std::vector<double> cost(mu.size());
  for (std::size_t i = 0; i < mu.size(); ++i) cost[i] = sign * mu[i];
  auto r = solve_lp(to_lp(m, cost));
  if (r.status == LpStatus::infeasible) fail(ErrorCode::infeasible, "constraints", "the constraints have no feasible point");
  if (r.status == LpStatus::unbounded)
    fail(ErrorCode::invalid_argument, "constraints", "the attainable return is unbounded; add bounds or leverage");
  if (r.status != LpStatus::optimal) fail(ErrorCode::internal, "", "the LP solver failed");
  double v = 0;
  for (std::size_t i = 0; i < mu.size(); ++i) v += mu[i] * r.x[i];
  return v;
}

// Active ids of a problem without the target row, renumbered for one with it (the row goes after the
// existing equalities, so every later id moves up by one).
std::vector<int> after_target_row(const Model& m, std::vector<int> ids) {
  for (int& id : ids)
    if (std::size_t(id) >= m.eq.size()) ++id;
  return ids;
}

TargetReturnQp::TargetReturnQp(const Model& m, const Matrix& sigma, const std::vector<double>& mu)
    : model(with_target(m, mu, 0.0)), qp(to_qp(model, sigma, 1.0, std::vector<double>(m.n, 0.0))) {}

QpResult TargetReturnQp::solve(double target, std::span<const int> warm, std::string_view what) {
  qp.e.back() = model.eq_rhs.back() = target;
  return solve_or_fail(model, qp, warm, what);
}

Model with_target(Model m, const std::vector<double>& mu, double target) {
  m.add_eq(w_row(m, mu), target, "target_return");
  return m;
}

}  // namespace sextant::portfolio::detail
