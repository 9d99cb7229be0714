#pragma once
// Standardised central moments, shared by the Cornish-Fisher VaR, the performance statistics and the
// rolling skew and kurtosis (which keep central sums over their windows).
#include <cmath>
#include <span>

namespace sextant {

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

//! The same from the central sums of a sample: s2 = Σd², s3 = Σd³, s4 = Σd⁴ over n values (the
//! caller keeps them finite, e.g. by scaling the sample by a power of two first).
inline Moments moments_from_central_sums(double n, double s2, double s3, double s4) {
  Moments m;
  m.m2 = s2 / n;
  const bool defined = m.m2 > 0 && std::isfinite(m.m2);
  m.skew = defined ? s3 / n / (m.m2 * std::sqrt(m.m2)) : NAN;
  m.kurt = defined ? s4 / n / (m.m2 * m.m2) : NAN;
  return m;
}

//! Bias-adjusted sample skewness, G1 = √(n(n−1))/(n−2)·g1 (pandas, scipy bias=False); NaN for n < 3.
inline double sample_skew(const Moments& m, double n) {
  return n >= 3 ? std::sqrt(n * (n - 1)) / (n - 2) * m.skew : NAN;
}

//! Bias-adjusted sample excess kurtosis, G2 = ((n+1)·g2 + 6)(n−1)/((n−2)(n−3)) (pandas); NaN for n < 4.
inline double sample_excess_kurtosis(const Moments& m, double n) {
  return n >= 4 ? ((n + 1) * (m.kurt - 3.0) + 6.0) * (n - 1) / ((n - 2) * (n - 3)) : NAN;
}

}  // namespace sextant
