// Objectives and constraints as QPs / LPs; see optimize.hpp for the conventions.
#include "sextant/portfolio/optimize.hpp"

#include <Eigen/Cholesky>

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "sextant/accel/ops.hpp"
#include "sextant/core/eigen.hpp"
#include "sextant/core/error.hpp"
#include "sextant/portfolio/lp.hpp"
#include "sextant/portfolio/qp.hpp"

namespace sextant::portfolio {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::string_view kObjectiveNames[] = {"min_variance", "max_sharpe", "target_return", "target_volatility",
                                                "max_utility",  "risk_parity", "hrp",          "min_cvar",
                                                "black_litterman"};
}  // namespace

Objective parse_objective(std::string_view s, std::string_view field) {
  for (std::size_t i = 0; i < std::size(kObjectiveNames); ++i)
    if (s == kObjectiveNames[i]) return Objective(i);
  fail(ErrorCode::invalid_argument, std::string(field),
       "unknown objective '{}' (expected min_variance, max_sharpe, target_return, target_volatility, max_utility, "
       "risk_parity, hrp, min_cvar or black_litterman)", s);
}

std::string_view objective_name(Objective o) { return kObjectiveNames[std::size_t(o)]; }

bool Constraints::beyond_budget() const {
  return bounds || !asset_bounds.empty() || !groups.empty() || leverage || max_turnover || max_assets;
}

double historical_es(MatrixView returns, const std::vector<double>& w, double alpha) {
  const std::size_t T = returns.rows;
  std::vector<double> loss(T);
  for (std::size_t t = 0; t < T; ++t) {
    double s = 0;
    for (std::size_t i = 0; i < returns.cols; ++i) s += returns(t, i) * w[i];
    loss[t] = -s;
  }
  std::sort(loss.begin(), loss.end(), std::greater<>());
  const double k = (1 - alpha) * double(T);
  const std::size_t K = std::min(T - 1, std::size_t(std::floor(k)));
  double s = 0;
  for (std::size_t t = 0; t < K; ++t) s += loss[t];
  s += (k - double(K)) * loss[K];
  return s / k;
}

namespace {

// A portfolio problem over v = (w[0..n), auxiliary variables), before it becomes a QP or an LP.
// Every row carries a name so infeasibility can say which constraints conflict.
struct Model {
  std::size_t n = 0, nv = 0;
  std::vector<std::vector<double>> eq, ineq;  // dense rows over nv
  std::vector<double> eq_rhs, ineq_rhs;
  std::vector<std::string> eq_name, ineq_name;
  std::vector<double> lower, upper;           // nv
  std::size_t budget_row = SIZE_MAX;
  std::size_t aux_begin = 0;

  void add_eq(std::vector<double> row, double rhs, std::string name) {
    eq.push_back(std::move(row)), eq_rhs.push_back(rhs), eq_name.push_back(std::move(name));
  }
  void add_ineq(std::vector<double> row, double rhs, std::string name) {
    ineq.push_back(std::move(row)), ineq_rhs.push_back(rhs), ineq_name.push_back(std::move(name));
  }
  std::vector<double> row() const { return std::vector<double>(nv, 0.0); }
};

double mean_variance(const Matrix& sigma) {
  double s = 0;
  for (std::size_t i = 0; i < sigma.rows(); ++i) s += sigma(i, i);
  return s / double(sigma.rows());
}

Model build_model(const OptimizeInput& in) {
  const auto& c = in.constraints;
  const std::size_t n = in.mu.size();
  Model m;
  m.n = n;
  std::size_t aux = 0;
  const bool use_leverage = c.leverage && !c.long_only;
  if (use_leverage) aux += n;
  if (c.max_turnover) aux += n;
  m.nv = n + aux;
  m.aux_begin = n;
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
  QpResult r = solve_qp(p, {}, warm);
  if (r.status == QpStatus::infeasible) fail_infeasible(m, r.conflict, what);
  if (r.status != QpStatus::optimal) fail(ErrorCode::internal, "", "{}: the QP solver did not converge ({} iterations)", what, r.iterations);
  return r;
}

void check_inputs(const OptimizeInput& in) {
  const std::size_t n = in.mu.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "expected_returns", "no assets");
  if (in.sigma.rows() != in.sigma.cols())
    fail(ErrorCode::dimension_mismatch, "covariance", "the covariance must be square, got {}×{}", in.sigma.rows(), in.sigma.cols());
  if (in.sigma.rows() != n)
    fail(ErrorCode::dimension_mismatch, "covariance", "the covariance is {}×{} for {} expected returns", in.sigma.rows(), in.sigma.cols(), n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(in.mu[i])) fail(ErrorCode::non_finite, fmt::format("expected_returns[{}]", i), "expected returns must be finite");
    for (std::size_t j = 0; j < n; ++j) {
      double v = in.sigma(i, j);
      if (!std::isfinite(v)) fail(ErrorCode::non_finite, fmt::format("covariance[{}][{}]", i, j), "the covariance must be finite");
      if (j < i && std::abs(v - in.sigma(j, i)) > 1e-10 * (std::abs(v) + std::abs(in.sigma(j, i))) + 1e-300)
        fail(ErrorCode::invalid_argument, fmt::format("covariance[{}][{}]", i, j), "the covariance must be symmetric");
    }
    if (in.sigma(i, i) < 0) fail(ErrorCode::not_positive_definite, fmt::format("covariance[{}][{}]", i, i), "a variance is negative");
  }
  // PSD: a Cholesky factor proves it; when there is none, the smallest eigenvalue decides.
  try {
    (void)accel::cholesky(in.sigma);
  } catch (const Error&) {
    auto ev = accel::eigvalsh(in.sigma);
    if (ev.back() < -1e-10 * std::max(std::abs(ev.front()), 1e-300))
      fail(ErrorCode::not_positive_definite, "covariance", "the covariance is not positive semi-definite (smallest eigenvalue {:.3g})", ev.back());
  }
}

void finish(const OptimizeInput& in, OptimizeResult& r) {
  const std::size_t n = in.mu.size();
  auto sw = accel::symv(in.sigma, r.weights);
  double var = 0, ret = 0;
  for (std::size_t i = 0; i < n; ++i) var += r.weights[i] * sw[i], ret += r.weights[i] * in.mu[i];
  r.expected_return = ret;
  r.volatility = std::sqrt(std::max(var, 0.0));
  r.sharpe_ratio = r.volatility > 0 ? (ret - in.risk_free_rate) / r.volatility : 0.0;
  r.risk_contributions.assign(n, 0.0);
  if (var > 0)
    for (std::size_t i = 0; i < n; ++i) r.risk_contributions[i] = r.weights[i] * sw[i] / var;
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

Model with_target(Model m, const std::vector<double>& mu, double target) {
  m.add_eq(w_row(m, mu), target, "target_return");
  return m;
}

// max (μ - rf)ᵀw / √(wᵀΣw) by Charnes–Cooper: y = κw with κ = 1ᵀy / budget.
std::vector<double> max_sharpe_cc(const Model& m, const OptimizeInput& in, int& iterations, double& reg) {
  const double B = in.constraints.budget;
  if (!(std::abs(B) > 0)) fail(ErrorCode::invalid_argument, "constraints.budget", "max_sharpe needs a non-zero budget");
  Model h;
  h.n = m.n, h.nv = m.nv, h.aux_begin = m.aux_begin;
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
  QpResult q = solve_qp(to_qp(h, in.sigma, 1.0, {}));
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

std::vector<double> risk_parity(const OptimizeInput& in, int& iterations) {
  const std::size_t n = in.mu.size();
  std::vector<double> b = in.risk_budgets;
  if (b.empty()) b.assign(n, 1.0 / double(n));
  if (b.size() != n) fail(ErrorCode::dimension_mismatch, "risk_budgets", "'risk_budgets' has {} entries for {} assets", b.size(), n);
  double bs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(b[i] > 0) || !std::isfinite(b[i])) fail(ErrorCode::invalid_argument, fmt::format("risk_budgets[{}]", i), "risk budgets must be positive");
    bs += b[i];
  }
  for (auto& v : b) v /= bs;
  if (!in.constraints.long_only || in.constraints.beyond_budget() || !(in.constraints.budget > 0))
    fail(ErrorCode::invalid_argument, "constraints",
         "risk_parity supports the long-only budget only (no bounds, groups, leverage, turnover or max_assets)");
  for (std::size_t i = 0; i < n; ++i)
    if (!(in.sigma(i, i) > 0)) fail(ErrorCode::invalid_argument, fmt::format("covariance[{}][{}]", i, i), "risk_parity needs positive variances");
  Eigen::Map<const EigenRowMajor> S(in.sigma.data(), Eigen::Index(n), Eigen::Index(n));
  Eigen::VectorXd bb = Eigen::Map<const Eigen::VectorXd>(b.data(), Eigen::Index(n));
  Eigen::VectorXd y(n);
  for (std::size_t i = 0; i < n; ++i) y[Eigen::Index(i)] = 1.0 / std::sqrt(in.sigma(i, i));
  y *= std::sqrt(1.0 / y.dot(S * y));  // the best scale of the start: yᵀΣy = Σb
  auto f = [&](const Eigen::VectorXd& v) { return 0.5 * v.dot(S * v) - bb.dot(v.array().log().matrix()); };
  int it = 0;
  for (; it < 200; ++it) {
    Eigen::VectorXd g = S * y - (bb.array() / y.array()).matrix();
    Eigen::MatrixXd H = S;
    H.diagonal().array() += bb.array() / y.array().square();
    Eigen::VectorXd dx = -H.llt().solve(g);
    double decrement = -g.dot(dx);
    if (!(decrement > 1e-30)) break;
    double t = 1.0, f0 = f(y);
    while ((y + t * dx).minCoeff() <= 0) t *= 0.5;
    while (f(y + t * dx) > f0 - 0.25 * t * decrement && t > 1e-12) t *= 0.5;
    y += t * dx;
  }
  iterations = it;
  std::vector<double> w(n);
  double s = y.sum();
  for (std::size_t i = 0; i < n; ++i) w[i] = in.constraints.budget * y[Eigen::Index(i)] / s;
  return w;
}

std::vector<double> hrp(const OptimizeInput& in) {
  const std::size_t n = in.mu.size();
  if (in.constraints.beyond_budget() || !in.constraints.long_only)
    fail(ErrorCode::invalid_argument, "constraints", "hrp supports the long-only budget only");
  for (std::size_t i = 0; i < n; ++i)
    if (!(in.sigma(i, i) > 0)) fail(ErrorCode::invalid_argument, fmt::format("covariance[{}][{}]", i, i), "hrp needs positive variances");
  auto dist = [&](std::size_t i, std::size_t j) {
    double rho = in.sigma(i, j) / std::sqrt(in.sigma(i, i) * in.sigma(j, j));
    return std::sqrt(std::clamp((1.0 - rho) / 2.0, 0.0, 1.0));
  };
  // Single linkage = Kruskal on the minimum spanning tree (Prim, O(n²)).
  struct Edge { double d; std::size_t a, b, found; };
  std::vector<Edge> edges;
  {
    std::vector<char> in_tree(n, 0);
    std::vector<double> best(n, kInf);
    std::vector<std::size_t> from(n, 0);
    std::size_t cur = 0;
    in_tree[0] = 1;
    for (std::size_t step = 1; step < n; ++step) {
      for (std::size_t j = 0; j < n; ++j)
        if (!in_tree[j]) {
          double d = dist(cur, j);
          if (d < best[j]) best[j] = d, from[j] = cur;
        }
      std::size_t nxt = n;
      for (std::size_t j = 0; j < n; ++j)
        if (!in_tree[j] && (nxt == n || best[j] < best[nxt])) nxt = j;
      edges.push_back({best[nxt], from[nxt], nxt, step});
      in_tree[nxt] = 1;
      cur = nxt;
    }
  }
  std::stable_sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.d < y.d; });
  std::vector<std::size_t> parent(n), cluster(n);  // union-find over leaves; cluster id of each root
  std::iota(parent.begin(), parent.end(), 0);
  std::iota(cluster.begin(), cluster.end(), 0);
  std::function<std::size_t(std::size_t)> root = [&](std::size_t x) { return parent[x] == x ? x : parent[x] = root(parent[x]); };
  std::vector<std::pair<std::size_t, std::size_t>> children;  // of cluster n + k
  for (const auto& e : edges) {
    std::size_t ra = root(e.a), rb = root(e.b);
    std::size_t ca = cluster[ra], cb = cluster[rb];
    children.emplace_back(std::min(ca, cb), std::max(ca, cb));
    parent[rb] = ra;
    cluster[ra] = n + children.size() - 1;
  }
  std::vector<std::size_t> order;  // quasi-diagonal: leaves left-first
  std::vector<std::size_t> stack{n == 1 ? 0 : 2 * n - 2};
  while (!stack.empty()) {
    std::size_t c = stack.back();
    stack.pop_back();
    if (c < n) order.push_back(c);
    else stack.push_back(children[c - n].second), stack.push_back(children[c - n].first);
  }
  auto cluster_var = [&](std::size_t lo, std::size_t hi) {  // inverse-variance portfolio of order[lo, hi)
    double s = 0;
    for (std::size_t k = lo; k < hi; ++k) s += 1.0 / in.sigma(order[k], order[k]);
    double v = 0;
    for (std::size_t k = lo; k < hi; ++k)
      for (std::size_t l = lo; l < hi; ++l)
        v += in.sigma(order[k], order[l]) / (in.sigma(order[k], order[k]) * in.sigma(order[l], order[l]) * s * s);
    return v;
  };
  std::vector<double> w(n, 1.0);
  std::vector<std::pair<std::size_t, std::size_t>> items{{0, n}};
  while (!items.empty()) {
    std::vector<std::pair<std::size_t, std::size_t>> next;
    for (auto [lo, hi] : items) {
      if (hi - lo < 2) continue;
      std::size_t mid = lo + (hi - lo) / 2;
      double vl = cluster_var(lo, mid), vr = cluster_var(mid, hi);
      double alpha = 1 - vl / (vl + vr);
      for (std::size_t k = lo; k < mid; ++k) w[order[k]] *= alpha;
      for (std::size_t k = mid; k < hi; ++k) w[order[k]] *= 1 - alpha;
      next.emplace_back(lo, mid), next.emplace_back(mid, hi);
    }
    items = std::move(next);
  }
  for (auto& v : w) v *= in.constraints.budget;
  return w;
}

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
  auto res = solve_lp(lp);
  if (res.status == LpStatus::infeasible) fail(ErrorCode::infeasible, "constraints", "min_cvar: the constraints have no feasible point");
  if (res.status != LpStatus::optimal) fail(ErrorCode::internal, "", "min_cvar: the LP solver failed");
  cvar = res.objective;
  iterations = res.iterations;
  return {res.x.begin(), res.x.begin() + long(n)};
}

// Black–Litterman posterior (μ, Σ).
void black_litterman(const OptimizeInput& in, std::vector<double>& mu_post, Matrix& sigma_post) {
  const auto& v = *in.views;
  const std::size_t n = in.mu.size(), k = v.Q.size();
  if (k == 0) fail(ErrorCode::invalid_argument, "views.Q", "black_litterman needs at least one view");
  if (v.P.rows() != k || v.P.cols() != n)
    fail(ErrorCode::dimension_mismatch, "views.P", "'P' must be {}×{} (views × assets), got {}×{}", k, n, v.P.rows(), v.P.cols());
  if (!(v.tau > 0)) fail(ErrorCode::invalid_argument, "views.tau", "'tau' must be positive");
  using Eigen::Index;
  Eigen::Map<const EigenRowMajor> S(in.sigma.data(), Index(n), Index(n));
  Eigen::Map<const EigenRowMajor> P(v.P.data(), Index(k), Index(n));
  Eigen::VectorXd Q = Eigen::Map<const Eigen::VectorXd>(v.Q.data(), Index(k));
  Eigen::VectorXd pi(n);
  if (!v.market_weights.empty()) {
    if (v.market_weights.size() != n)
      fail(ErrorCode::dimension_mismatch, "views.market_weights", "'market_weights' has {} entries for {} assets", v.market_weights.size(), n);
    pi = v.delta * S * Eigen::Map<const Eigen::VectorXd>(v.market_weights.data(), Index(n));
  } else {
    pi = Eigen::Map<const Eigen::VectorXd>(in.mu.data(), Index(n));
  }
  Eigen::MatrixXd tS = v.tau * S;
  Eigen::MatrixXd Omega;
  if (v.omega) {
    if (v.omega->rows() != k || v.omega->cols() != k)
      fail(ErrorCode::dimension_mismatch, "views.omega", "'omega' must be {}×{}", k, k);
    Omega = Eigen::Map<const EigenRowMajor>(v.omega->data(), Index(k), Index(k));
  } else {
    Omega = (P * tS * P.transpose()).diagonal().asDiagonal();
  }
  auto tS_llt = tS.llt();
  auto om_llt = Omega.llt();
  if (tS_llt.info() != Eigen::Success) fail(ErrorCode::not_positive_definite, "covariance", "black_litterman needs a positive definite covariance");
  if (om_llt.info() != Eigen::Success) fail(ErrorCode::not_positive_definite, "views.omega", "'omega' must be positive definite");
  Eigen::MatrixXd A = tS_llt.solve(Eigen::MatrixXd::Identity(Index(n), Index(n))) + P.transpose() * om_llt.solve(Eigen::MatrixXd(P));
  Eigen::VectorXd rhs = tS_llt.solve(pi) + P.transpose() * om_llt.solve(Q);
  auto A_llt = A.llt();
  Eigen::VectorXd mu = A_llt.solve(rhs);
  Eigen::MatrixXd M = A_llt.solve(Eigen::MatrixXd::Identity(Index(n), Index(n)));
  mu_post.assign(mu.data(), mu.data() + n);
  sigma_post = Matrix(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      sigma_post(i, j) = in.sigma(i, j) + 0.5 * (M(Index(i), Index(j)) + M(Index(j), Index(i)));
}

OptimizeResult optimize_once(const OptimizeInput& in) {
  OptimizeResult res;
  const std::size_t n = in.mu.size();
  switch (in.objective) {
    case Objective::risk_parity: res.weights = risk_parity(in, res.iterations); return res;
    case Objective::hrp: res.weights = hrp(in); return res;
    default: break;
  }
  Model m = build_model(in);
  auto take = [&](const QpResult& q) {
    res.weights = weights_of(m, q.x);
    res.iterations = q.iterations;
    res.regularization = q.regularization;
  };
  const std::vector<double> zero(n, 0.0);
  switch (in.objective) {
    case Objective::min_variance: take(mean_variance_qp(m, in.sigma, 1.0, zero, {}, "min_variance")); break;
    case Objective::max_utility: {
      if (!(in.risk_aversion > 0)) fail(ErrorCode::invalid_argument, "risk_aversion", "'risk_aversion' must be positive");
      std::vector<double> a(n);
      for (std::size_t i = 0; i < n; ++i) a[i] = -in.mu[i];
      take(mean_variance_qp(m, in.sigma, in.risk_aversion, a, {}, "max_utility"));
      break;
    }
    case Objective::target_return: {
      if (!in.target_return) fail(ErrorCode::invalid_argument, "target_return", "objective target_return needs 'target_return'");
      take(mean_variance_qp(with_target(m, in.mu, *in.target_return), in.sigma, 1.0, zero, {}, "target_return"));
      break;
    }
    case Objective::max_sharpe: {
      const auto& c = in.constraints;
      if (!c.long_only && !c.beyond_budget()) {  // closed form: w ∝ Σ⁻¹(μ - rf)
        Matrix ex(n, 1);
        for (std::size_t i = 0; i < n; ++i) ex(i, 0) = in.mu[i] - in.risk_free_rate;
        Matrix z = accel::solve(in.sigma, ex);
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) s += z(i, 0);
        if (!(s > 0))
          fail(ErrorCode::infeasible, "risk_free_rate", "max_sharpe: no fully invested portfolio has a positive Sharpe ratio at this risk-free rate");
        res.weights.resize(n);
        for (std::size_t i = 0; i < n; ++i) res.weights[i] = c.budget * z(i, 0) / s;
      } else {
        res.weights = max_sharpe_cc(m, in, res.iterations, res.regularization);
      }
      break;
    }
    case Objective::target_volatility: {
      if (!in.target_volatility || !(*in.target_volatility > 0))
        fail(ErrorCode::invalid_argument, "target_volatility", "objective target_volatility needs a positive 'target_volatility'");
      const double target = *in.target_volatility;
      auto vol = [&](const std::vector<double>& w) { return std::sqrt(std::max(accel::quad_form(w, in.sigma), 0.0)); };
      QpResult lo = mean_variance_qp(m, in.sigma, 1.0, zero, {}, "target_volatility");
      double vmin = vol(weights_of(m, lo.x));
      if (target < vmin * (1 - 1e-12))
        fail(ErrorCode::infeasible, "target_volatility", "target_volatility {} is below the minimum attainable volatility {}", target, vmin);
      double r_lo = 0;
      for (std::size_t i = 0; i < n; ++i) r_lo += in.mu[i] * lo.x[i];
      double r_hi = extreme_return(m, in.mu, -1.0);
      std::vector<int> warm = after_target_row(m, lo.active);
      QpResult hi = mean_variance_qp(with_target(m, in.mu, r_hi), in.sigma, 1.0, zero, warm, "target_volatility");
      if (vol(weights_of(m, hi.x)) <= target || r_hi <= r_lo) {
        take(hi);
        break;
      }
      // Volatility rises with the target return on the efficient branch: bisect on the return.
      QpResult best = lo;
      int iters = lo.iterations + hi.iterations;
      for (int k = 0; k < 80 && r_hi - r_lo > 1e-15 * (std::abs(r_hi) + std::abs(r_lo)); ++k) {
        double mid = 0.5 * (r_lo + r_hi);
        QpResult q = mean_variance_qp(with_target(m, in.mu, mid), in.sigma, 1.0, zero, warm, "target_volatility");
        iters += q.iterations;
        warm = q.active;
        if (vol(weights_of(m, q.x)) <= target) r_lo = mid, best = q;
        else r_hi = mid;
      }
      take(best);
      res.iterations = iters;
      break;
    }
    case Objective::min_cvar: {
      double cvar = 0;
      res.weights = min_cvar(in, m, cvar, res.iterations);
      res.cvar = cvar;
      break;
    }
    default: fail(ErrorCode::internal, "objective", "unhandled objective");
  }
  return res;
}

}  // namespace

OptimizeResult optimize(const OptimizeInput& in_) {
  check_inputs(in_);
  if (in_.objective == Objective::black_litterman) {
    if (!in_.views) fail(ErrorCode::invalid_argument, "views", "objective black_litterman needs 'views'");
    if (in_.views->objective == Objective::black_litterman)
      fail(ErrorCode::invalid_argument, "views.objective", "views.objective must be another objective");
    OptimizeInput in = in_;
    std::vector<double> mu;
    Matrix sigma;
    black_litterman(in_, mu, sigma);
    in.mu = mu, in.sigma = sigma, in.objective = in_.views->objective, in.views.reset();
    OptimizeResult r = optimize(in);
    r.posterior_mu = std::move(mu);
    r.posterior_sigma = std::move(sigma);
    return r;
  }
  OptimizeResult r = optimize_once(in_);
  const auto& c = in_.constraints;
  if (c.max_assets) {
    const std::size_t k = *c.max_assets, n = in_.mu.size();
    if (k == 0) fail(ErrorCode::invalid_argument, "constraints.max_assets", "'max_assets' must be at least 1");
    std::size_t held = 0;
    for (double w : r.weights) held += std::abs(w) > 1e-9;
    if (held > k) {
      if (in_.objective == Objective::risk_parity || in_.objective == Objective::hrp)
        fail(ErrorCode::invalid_argument, "constraints.max_assets", "max_assets is not available with {}", objective_name(in_.objective));
      // Heuristic: keep the k largest |w| and re-solve with the others at zero.
      std::vector<std::size_t> idx(n);
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return std::abs(r.weights[a]) > std::abs(r.weights[b]); });
      OptimizeInput in = in_;
      in.constraints.max_assets.reset();
      auto& ab = in.constraints.asset_bounds;
      if (ab.empty()) {
        double lo = c.bounds ? c.bounds->first : (c.long_only ? 0.0 : -kInf);
        double hi = c.bounds ? c.bounds->second : kInf;
        ab.assign(n, {lo, hi});
      }
      for (std::size_t t = k; t < n; ++t) {
        auto& b = ab[idx[t]];
        if (b.first > 0 || b.second < 0)
          fail(ErrorCode::infeasible, "constraints.max_assets", "asset {} cannot be dropped: its bounds exclude zero", idx[t]);
        b = {0.0, 0.0};
      }
      r = optimize_once(in);
      r.status = "heuristic";
    }
  }
  finish(in_, r);
  return r;
}

std::vector<FrontierPoint> efficient_frontier(const OptimizeInput& in, std::size_t points, bool full_range) {
  check_inputs(in);
  if (points < 2 || points > 1000) fail(ErrorCode::invalid_argument, "points", "'points' must be in [2, 1000]");
  if (in.constraints.max_assets) fail(ErrorCode::invalid_argument, "constraints.max_assets", "the frontier does not take max_assets");
  const std::size_t n = in.mu.size();
  Model m = build_model(in);
  const std::vector<double> zero(n, 0.0);
  QpResult mvp = mean_variance_qp(m, in.sigma, 1.0, zero, {}, "frontier");
  double r_lo = 0;
  for (std::size_t i = 0; i < n; ++i) r_lo += in.mu[i] * mvp.x[i];
  if (full_range) r_lo = extreme_return(m, in.mu, 1.0);
  const double r_hi = extreme_return(m, in.mu, -1.0);
  std::vector<FrontierPoint> out;
  std::vector<int> warm = after_target_row(m, mvp.active);
  for (std::size_t k = 0; k < points; ++k) {
    double target = r_lo + (r_hi - r_lo) * double(k) / double(points - 1);
    if (k == points - 1) target = r_hi;
    QpResult q = mean_variance_qp(with_target(m, in.mu, target), in.sigma, 1.0, zero, warm, "frontier");
    warm = q.active;
    FrontierPoint p;
    p.weights = weights_of(m, q.x);
    double ret = 0;
    for (std::size_t i = 0; i < n; ++i) ret += in.mu[i] * p.weights[i];
    p.expected_return = ret;
    p.volatility = std::sqrt(std::max(accel::quad_form(p.weights, in.sigma), 0.0));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sextant::portfolio
