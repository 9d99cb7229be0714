#pragma once
// Covariance estimators (DESIGN §6; scikit-learn / RiskMetrics conventions).
//  - sample:      ddof 1.
//  - ledoit_wolf: scikit-learn's LedoitWolf (assume_centered=False): shrinks the *biased* (ddof 0)
//                 empirical covariance towards mu·I, mu = its mean variance; reports the shrinkage.
//  - ewma:        S = cov(first seed_rows rows (default min(20, T)), ddof 1), then S = λS + (1-λ) r rᵀ for each later row,
//                 without demeaning (RiskMetrics).
//  - semi:        downside semi-covariance: D = min(r - benchmark, 0), S = DᵀD / T.
#include <optional>
#include <string_view>

#include "sextant/core/matrix.hpp"

namespace sextant::analytics {

enum class CovarianceEstimator { sample, ledoit_wolf, ewma, semi };
CovarianceEstimator parse_covariance_estimator(std::string_view s, std::string_view field = "estimator");
std::string_view estimator_name(CovarianceEstimator e);

struct CovarianceOptions {
  CovarianceEstimator estimator = CovarianceEstimator::sample;
  double lambda = 0.94;       //!< ewma decay, in (0, 1)
  std::optional<std::size_t> seed_rows;  //!< ewma: rows of the seeding sample covariance, in [2, T]; default min(20, T)
  double benchmark = 0.0;     //!< semi: the threshold return
};

struct CovarianceResult {
  Matrix covariance;
  std::optional<double> shrinkage;  //!< ledoit_wolf only
};

//! The EWMA seed rows used for T rows of returns: seed_rows, else min(20, T).
inline std::size_t effective_seed_rows(const CovarianceOptions& opt, std::size_t t) {
  return opt.seed_rows.value_or(t < 20 ? t : 20);
}

//! A covariance given by a caller is usable: square, finite, symmetric (to 1e-10 relative), with
//! non-negative variances, and positive semi-definite (a Cholesky factor, or else the smallest
//! eigenvalue ≥ -1e-10 × the largest). Throws Error naming `field` (or one entry of it) otherwise.
//! O(N³): for request inputs, not for hot paths.
void check_covariance(MatrixView sigma, std::string_view field = "covariance");

//! x is T×N of finite returns. Throws Error(invalid_argument) naming lambda / seed_rows when out of range.
CovarianceResult estimate_covariance(MatrixView x, const CovarianceOptions& opt);

}  // namespace sextant::analytics
