// Objectives and constraints as QPs / LPs; see optimize.hpp for the conventions.
#include "sextant/portfolio/optimize.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "model.hpp"
#include "sextant/accel/ops.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio {

using namespace detail;

namespace {
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

void check_inputs(const OptimizeInput& in) {
  const std::size_t n = in.mu.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "expected_returns", "no assets");
  if (in.sigma.rows() != n)
    fail(ErrorCode::dimension_mismatch, "covariance", "the covariance is {}×{} for {} expected returns", in.sigma.rows(), in.sigma.cols(), n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(in.mu[i])) fail(ErrorCode::non_finite, fmt::format("expected_returns[{}]", i), "expected returns must be finite");
  analytics::check_covariance(in.sigma);
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
      const double r_max = extreme_return(m, in.mu, -1.0);
      std::vector<int> warm = after_target_row(m, lo.active);
      TargetReturnQp at(m, in.sigma, in.mu);
      int iters = lo.iterations;
      // The bracket's upper end, approached from below: each trial halves the distance from the last
      // point under the target to r_max. A warm-started QP costs about one step per bound it crosses,
      // and most bounds are crossed near the max-return corner (at n = 1,000, solving there first took
      // ~1,540 of 2,111 steps), so stopping at the first trial above the target, not at the corner,
      // saves most of them.
      const double t2 = target * target;
      double r_hi = r_max, f_lo = vmin * vmin - t2, f_hi = 0;
      QpResult best = lo;  // the bracket's feasible end (σ ≤ target)
      bool bracketed = false;
      for (int k = 1; k <= 40 && r_max > r_lo; ++k) {
        if (in.checkpoint) in.checkpoint();
        const double r = k == 40 ? r_max : r_max - 0.5 * (r_max - r_lo);
        QpResult q = at.solve(r, warm, "target_volatility");
        iters += q.iterations;
        warm = q.active;
        const double v = vol(weights_of(m, q.x)), f = v * v - t2;
        if (f > 0) {
          r_hi = r, f_hi = f, bracketed = true;
          break;
        }
        r_lo = r, f_lo = f, best = std::move(q);
        if (r == r_max) break;
      }
      if (!bracketed) {  // the target is at or above the max-return portfolio's volatility
        take(best);
        res.iterations = iters;
        break;
      }
      // Variance rises with the target return on the efficient branch, piecewise quadratically (one
      // piece per active set): find σ²(r) = target² by false position with the Illinois step, which
      // converges superlinearly on each piece where bisection took ~50 QP solves. The bracket always
      // holds the answer.
      int last_side = 0;
      for (int k = 0; k < 100 && r_hi - r_lo > 1e-15 * (std::abs(r_hi) + std::abs(r_lo)); ++k) {
        if (in.checkpoint) in.checkpoint();
        double mid = r_lo - f_lo * (r_hi - r_lo) / (f_hi - f_lo);
        if (!(mid > r_lo && mid < r_hi)) mid = 0.5 * (r_lo + r_hi);
        QpResult q = at.solve(mid, warm, "target_volatility");
        iters += q.iterations;
        warm = q.active;
        const double v = vol(weights_of(m, q.x)), f = v * v - t2;
        if (f <= 0) {
          r_lo = mid, f_lo = f, best = q;
          if (last_side < 0) f_hi /= 2;  // Illinois: the same end moved twice, so halve the other's value
          last_side = -1;
          if (target - v <= 1e-13 * target) break;
        } else {
          r_hi = mid, f_hi = f;
          if (last_side > 0) f_lo /= 2;
          last_side = 1;
        }
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
      r.status = OptimizeStatus::heuristic;
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
  TargetReturnQp at(m, in.sigma, in.mu);
  for (std::size_t k = 0; k < points; ++k) {
    if (in.checkpoint) in.checkpoint();
    double target = r_lo + (r_hi - r_lo) * double(k) / double(points - 1);
    if (k == points - 1) target = r_hi;
    QpResult q = at.solve(target, warm, "frontier");
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
