#include "sextant/analytics/pca.hpp"

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

}  // namespace sextant::analytics
