#pragma once
// Covariance estimators (DESIGN §6; scikit-learn / RiskMetrics conventions).
//  - sample:      ddof 1.
//  - ledoit_wolf: scikit-learn's LedoitWolf (assume_centered=False): shrinks the *biased* (ddof 0)
//                 empirical covariance towards mu·I, mu = its mean variance; reports the shrinkage.
//  - ewma:        S = cov(first seed_rows rows, ddof 1), then S = λS + (1-λ) r rᵀ for each later row,
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
  std::size_t seed_rows = 20; //!< ewma: rows of the seeding sample covariance, in [2, T]
  double benchmark = 0.0;     //!< semi: the threshold return
};

struct CovarianceResult {
  Matrix covariance;
  std::optional<double> shrinkage;  //!< ledoit_wolf only
};

//! x is T×N of finite returns. Throws Error(invalid_argument) naming lambda / seed_rows when out of range.
CovarianceResult estimate_covariance(MatrixView x, const CovarianceOptions& opt);

}  // namespace sextant::analytics
