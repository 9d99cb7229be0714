#pragma once
// A dot product in a fixed order that still vectorises.
#include <cstddef>

namespace sextant {

//! Σ a[i]·b[i] in 8 interleaved partial sums (lane k takes i ≡ k mod 8), added pairwise at the end.
//! One running sum is a chain of dependent adds the compiler may not reorder; eight independent ones
//! fill a vector register (or four SSE2 ones), and the order is the same on every CPU.
inline double dot(const double* a, const double* b, std::size_t n) {
  double acc[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  for (int k = 0; i < n; ++i, ++k) acc[k] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace sextant
