#include "model.hpp"

#include <Eigen/Cholesky>

#include "sextant/core/eigen.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

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

}  // namespace sextant::portfolio::detail
