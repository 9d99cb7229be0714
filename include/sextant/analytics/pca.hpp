#pragma once
// PCA factor loadings: the top k eigenpairs of the covariance (or correlation) of centred returns.
// Loadings are unit eigenvectors in columns (N×k), sign-normalised so each column's largest |entry|
// is positive; eigenvalues descend; explained ratios divide by the trace (the total variance).
#include <optional>
#include <span>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant::analytics {

struct PcaOptions {
  std::size_t n_factors = 5;
  bool use_correlation = false;  //!< "pca_correlation": standardised returns
  bool factor_returns = false;   //!< also return the T×k factor return series
};

struct PcaResult {
  Matrix loadings;  //!< N×k
  std::vector<double> eigenvalues, explained_variance_ratio, cumulative_variance_ratio;
  std::optional<Matrix> factor_returns;  //!< T×k: centred (or standardised) returns × loadings
};

PcaResult pca(MatrixView returns, const PcaOptions& opt);

//! A portfolio's return split into PCA factor contributions: factor returns f = R·L (raw returns ×
//! loadings, T×k), exposures e = Lᵀw, contribution_j = Σ_t e_j·f_tj; the residual is the rest of the
//! summed portfolio return Σ_t (R·w)_t, so contributions + residual = total exactly up to rounding.
struct PcaAttribution {
  std::vector<double> portfolio_returns;  //!< T: R·w
  std::vector<double> exposures, contributions;  //!< k each
  double total = 0, residual = 0;
};
PcaAttribution pca_attribution(MatrixView returns, std::span<const double> weights, MatrixView loadings);

}  // namespace sextant::analytics
