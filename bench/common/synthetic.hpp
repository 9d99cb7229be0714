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
