#pragma once
// PCA factor loadings: the top k eigenpairs of the covariance (or correlation) of centred returns.
// Loadings are unit eigenvectors in columns (N×k), sign-normalised so each column's largest |entry|
// is positive; eigenvalues descend; explained ratios divide by the trace (the total variance).
#include <optional>
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

}  // namespace sextant::analytics
