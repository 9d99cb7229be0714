#pragma once
// Synthetic daily-return panels for the benchmarks: a common market factor plus idiosyncratic noise,
// seeded, so every run measures the same data.
#include <random>

#include "sextant/core/matrix.hpp"

namespace sextant::bench {

inline Matrix synthetic_returns(std::size_t t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  Matrix x(t, n);
  for (std::size_t r = 0; r < t; ++r) {
    const double f = 0.01 * nd(rng);
    for (std::size_t j = 0; j < n; ++j) x(r, j) = 0.0002 + 0.8 * f + 0.012 * nd(rng);
  }
  return x;
}

}  // namespace sextant::bench

namespace sextant::bench {

//! Heterogeneous panel for optimisers: betas in [0.4, 1.6], idiosyncratic vols in [0.6%, 3%], drifts
//! that differ by asset, so a long-only optimum holds a minority of the names (as real ones do).
inline Matrix synthetic_returns_mixed(std::size_t t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  std::uniform_real_distribution<double> ud;
  std::vector<double> beta(n), vol(n), drift(n);
  for (std::size_t j = 0; j < n; ++j)
    beta[j] = 0.4 + 1.2 * ud(rng), vol[j] = 0.006 + 0.024 * ud(rng), drift[j] = 0.0008 * (ud(rng) - 0.3);
  Matrix x(t, n);
  for (std::size_t r = 0; r < t; ++r) {
    const double f = 0.01 * nd(rng);
    for (std::size_t j = 0; j < n; ++j) x(r, j) = drift[j] + beta[j] * f + vol[j] * nd(rng);
  }
  return x;
}

}  // namespace sextant::bench
