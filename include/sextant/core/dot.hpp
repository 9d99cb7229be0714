#pragma once
// Sums in a fixed order that still vectorise.
#include <cstddef>

namespace sextant {

//! Σ term(i) for i in [0, n) in 8 interleaved partial sums (lane k takes i ≡ k mod 8), added pairwise
//! at the end. One running sum is a chain of dependent adds that the compiler may not reorder (4
//! cycles each); eight independent ones fill a vector register, and the order is the same on every CPU.
template <class Term>
inline double lane_sum(std::size_t n, Term&& term) {
  double acc[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t k = 0; k < 8; ++k) acc[k] += term(i + k);
  for (std::size_t k = 0; i < n; ++i, ++k) acc[k] += term(i);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

//! Σ a[i]·b[i], by lane_sum.
inline double dot(const double* a, const double* b, std::size_t n) {
  return lane_sum(n, [&](std::size_t i) { return a[i] * b[i]; });
}

}  // namespace sextant
