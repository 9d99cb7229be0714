#include "sextant/analytics/pca.hpp"

#include <algorithm>
#include <cmath>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {

PcaResult pca(MatrixView x, const PcaOptions& opt) {
  if (opt.n_factors == 0 || opt.n_factors > x.cols)
    fail(ErrorCode::invalid_argument, "n_factors", "'n_factors' must be in [1, {}] (the number of assets), got {}",
         x.cols, opt.n_factors);
  Matrix m = opt.use_correlation ? accel::correlation(x) : accel::covariance(x);
  double trace = 0;
  for (std::size_t i = 0; i < m.rows(); ++i) trace += m(i, i);
  auto top = accel::eigh_topk(m, opt.n_factors);
  PcaResult r;
  r.loadings = std::move(top.vectors);
  r.eigenvalues = top.values;
  double cum = 0;
  for (double v : r.eigenvalues) {
    r.explained_variance_ratio.push_back(v / trace);
    cum += v / trace;
    r.cumulative_variance_ratio.push_back(cum);
  }
  if (opt.factor_returns) {
    std::vector<double> mean(x.cols, 0.0), scale(x.cols, 1.0);
    for (std::size_t t = 0; t < x.rows; ++t)
      for (std::size_t j = 0; j < x.cols; ++j) mean[j] += x(t, j);
    for (double& v : mean) v /= double(x.rows);
    if (opt.use_correlation) {
      Matrix cov = accel::covariance(x);
      for (std::size_t j = 0; j < x.cols; ++j) scale[j] = 1.0 / std::sqrt(cov(j, j));
    }
    Matrix z(x.rows, x.cols);
    for (std::size_t t = 0; t < x.rows; ++t)
      for (std::size_t j = 0; j < x.cols; ++j) z(t, j) = (x(t, j) - mean[j]) * scale[j];
    r.factor_returns = accel::gemm(z, r.loadings);
  }
  return r;
}

PcaAttribution pca_attribution(MatrixView r, std::span<const double> weights, MatrixView loadings) {
  const std::size_t n = r.cols, k = loadings.cols;
  if (weights.size() != n || loadings.rows != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, 'returns' has {} columns", weights.size(), n);
  Matrix wm(n, 1);
  std::copy(weights.begin(), weights.end(), wm.data());
  Matrix port = accel::gemm(r, wm);                                  // T×1 portfolio returns
  Matrix factors = accel::gemm(r, loadings);                         // T×k factor returns (raw)
  Matrix exposure = accel::gemm(loadings, wm, accel::Trans::yes);    // k×1
  PcaAttribution a;
  a.contributions.assign(k, 0.0);
  for (std::size_t t = 0; t < r.rows; ++t) {
    a.total += port(t, 0);
    for (std::size_t j = 0; j < k; ++j) a.contributions[j] += exposure(j, 0) * factors(t, j);
  }
  double systematic = 0;
  for (double v : a.contributions) systematic += v;
  a.residual = a.total - systematic;
  a.exposures.assign(exposure.data(), exposure.data() + k);
  a.portfolio_returns.assign(port.data(), port.data() + r.rows);
  return a;
}

}  // namespace sextant::analytics
