#pragma once
// Helpers shared by the backends: per-row scenario draws (the cuda kernel mirrors them), the
// Monte Carlo weight fold, the eigenvector sign convention and the overflow check on second moments
// (host-only: it formats with fmt).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sextant/accel/device.hpp"
#include "sextant/accel/philox.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel::detail {

//! Fills z[0..d) with the standard normals of output row `row` (0-based within the draw) and
//! returns the row's scale (1 for the normal, sqrt(nu/W) for Student-t). Antithetic pairs share
//! one draw and flip the sign of z on the odd row.
inline double scenario_row(const SampleSpec& spec, std::uint64_t row, std::size_t d, double* z) {
  std::uint64_t global = spec.first_row + row;
  std::uint64_t key_row = spec.antithetic ? global / 2 : global;
  double sign = (spec.antithetic && (global & 1)) ? -1.0 : 1.0;
  for (std::size_t j = 0; j < d; j += 2) {
    double z0, z1;
    philox::normal_pair(spec.seed, key_row, static_cast<std::uint32_t>(j / 2), z0, z1);
    z[j] = sign * z0;
    if (j + 1 < d) z[j + 1] = sign * z1;
  }
  return spec.nu > 0.0 ? philox::t_scale(spec.seed, key_row, spec.nu) : 1.0;
}

//! Monte Carlo's portfolio fold: wᵀ(μ + s·L z) = wᵀμ + s·(Lᵀw)·z. Sets v = Lᵀw (w when there is no
//! factor) and returns wᵀμ (0 when there is no mean), so each scenario costs a dot product with v.
inline double fold_weights(const SampleSpec& spec, std::span<const double> w, std::vector<double>& v) {
  const std::size_t d = w.size();
  v.assign(w.begin(), w.end());
  if (!spec.chol.empty())
    for (std::size_t k = 0; k < d; ++k) {
      double s = 0.0;
      for (std::size_t i = k; i < d; ++i) s += spec.chol(i, k) * w[i];
      v[k] = s;
    }
  double base = 0.0;
  if (!spec.mean.empty())
    for (std::size_t i = 0; i < d; ++i) base += w[i] * spec.mean[i];
  return base;
}

//! Flips each column so that its largest |entry| is positive (the PCA sign convention). Entries within
//! 1e-12 relative of the largest are ties and the first of them decides, so solvers that round
//! differently agree on columns whose largest entries are equal in exact arithmetic ((1, ±1)/√2).
inline void sign_normalise_columns(MutMatrixView v) {
  for (std::size_t j = 0; j < v.cols; ++j) {
    double big = 0;
    for (std::size_t i = 0; i < v.rows; ++i) big = std::max(big, std::abs(v(i, j)));
    std::size_t arg = 0;
    while (arg < v.rows && std::abs(v(arg, j)) < big * (1 - 1e-12)) ++arg;
    if (arg < v.rows && v(arg, j) < 0)
      for (std::size_t i = 0; i < v.rows; ++i) v(i, j) = -v(i, j);
  }
}

#if !defined(__CUDACC__)  // fail() formats with fmt, which nvcc does not compile
//! Throws unless each column's centred sum of squares, ss(j), is finite. A column whose sum
//! overflowed (values past ~1e150 in fp64, ~1e17 in fp32) would otherwise come out with correlations
//! of 0 or NaN and no warning. The data are returns in every caller, hence the field name.
template <class SumOfSquares>
void require_finite_moments(std::size_t n, SumOfSquares&& ss, const char* precision) {
  for (std::size_t j = 0; j < n; ++j)
    if (!std::isfinite(ss(j)))
      fail(ErrorCode::non_finite, "returns",
           "column {} of 'returns' overflows {}: its sum of squared deviations is not finite", j, precision);
}
#endif

}  // namespace sextant::accel::detail
