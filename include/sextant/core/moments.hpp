#pragma once
// Standardised central moments and their bias adjustments, shared by the Cornish-Fisher VaR, the
// performance statistics and the rolling skew and kurtosis (which keep central sums over windows).
#include <cmath>
#include <span>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant {

//! Column means of a T×N panel, summed row by row (the accelerator's covariance has its own,
//! parallel, version).
inline std::vector<double> column_means(MatrixView x) {
  std::vector<double> mean(x.cols, 0.0);
  for (std::size_t r = 0; r < x.rows; ++r) {
    const double* xr = x.row(r);
    for (std::size_t i = 0; i < x.cols; ++i) mean[i] += xr[i];
  }
  for (double& m : mean) m /= double(x.rows);
  return mean;
}

struct Moments {
  double m2 = 0;    //!< Σd²/n, d = x − mean
  double skew = 0;  //!< (Σd³/n)/m2^1.5, population
  double kurt = 0;  //!< (Σd⁴/n)/m2², population, not excess
};

//! Third and fourth moments are summed over z = d/√m2, not over d: the same ratios, but the fourth
//! powers stay finite whenever m2 is (returns of 1e150 have a kurtosis; Σd⁴ would be 1e600).
//! skew and kurt are NaN when m2 is 0 or not finite.
inline Moments standardised_moments(std::span<const double> x, double mean) {
  Moments m;
  const double n = double(x.size());
  for (double v : x) m.m2 += (v - mean) * (v - mean);
  m.m2 /= n;
  const double inv_sd = 1.0 / std::sqrt(m.m2);
  double s3 = 0, s4 = 0;
  for (double v : x) {
    const double z = (v - mean) * inv_sd;
    s3 += z * z * z;
    s4 += z * z * z * z;
  }
  const bool defined = m.m2 > 0 && std::isfinite(m.m2);
  m.skew = defined ? s3 / n : NAN;
  m.kurt = defined ? s4 / n : NAN;
  return m;
}

//! The bias adjustments of pandas and scipy (bias=False), for a double or a GCC vector of them
//! (forced inline, so that no vector crosses a call), without the range checks:
//! G1 = √(n(n−1))/(n−2)·g1, the caller passing √(n(n−1)), and
//! G2 = ((n+1)(g2−3) + 6)(n−1)/((n−2)(n−3)) from the population kurtosis g2 (not excess).
template <class T>
[[gnu::always_inline]] inline T adjusted_skew(T g1, T n, T sqrt_n_n1) {
  return sqrt_n_n1 / (n - 2.0) * g1;
}
template <class T>
[[gnu::always_inline]] inline T adjusted_excess_kurtosis(T g2, T n) {
  return ((n + 1.0) * (g2 - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
}

//! Bias-adjusted sample skewness G1; NaN for n < 3.
inline double sample_skew(const Moments& m, double n) {
  return n >= 3 ? adjusted_skew(m.skew, n, std::sqrt(n * (n - 1))) : NAN;
}

//! Bias-adjusted sample excess kurtosis G2; NaN for n < 4.
inline double sample_excess_kurtosis(const Moments& m, double n) {
  return n >= 4 ? adjusted_excess_kurtosis(m.kurt, n) : NAN;
}

}  // namespace sextant
