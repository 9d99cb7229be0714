// Risk parity by Newton's method on Spinu's convex form (see optimize.hpp).
#include "model.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>

#include "sextant/core/eigen.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

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
  auto gradient = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {
    return S * v - (bb.array() / v.array()).matrix();
  };
  int it = 0;
  Eigen::VectorXd g = gradient(y);
  for (; it < 200; ++it) {
    if (in.checkpoint) in.checkpoint();
    Eigen::MatrixXd H = S;
    H.diagonal().array() += bb.array() / y.array().square();
    Eigen::VectorXd dx = -H.llt().solve(g);
    const double decrement = -g.dot(dx), f0 = f(y);
    if (!(decrement > 1e-30)) break;
    if (decrement <= 1e-12 * std::max(1.0, std::abs(f0))) {
      // Within reach of the optimum: f can no longer resolve the decrease (it did not move at
      // n = 1,000, so the line search below crawled with tiny steps to the 200-iteration cap, 3 s).
      // Full Newton steps converge quadratically here; stop when one no longer reduces the gradient.
      const Eigen::VectorXd next = y + dx;
      if (next.minCoeff() <= 0) break;
      Eigen::VectorXd g_next = gradient(next);
      if (!(g_next.norm() < g.norm())) break;
      y = next, g = std::move(g_next);
      continue;
    }
    double t = 1.0;
    while ((y + t * dx).minCoeff() <= 0) t *= 0.5;
    while (f(y + t * dx) > f0 - 0.25 * t * decrement && t > 1e-12) t *= 0.5;
    y += t * dx;
    g = gradient(y);
  }
  iterations = it;
  std::vector<double> w(n);
  double s = y.sum();
  for (std::size_t i = 0; i < n; ++i) w[i] = in.constraints.budget * y[Eigen::Index(i)] / s;
  return w;
}

}  // namespace sextant::portfolio::detail
