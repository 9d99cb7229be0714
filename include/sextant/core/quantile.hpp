#pragma once
// numpy's quantile methods (numpy.quantile's `method`), the one implementation every engine uses:
// VaR's tail quantiles, the performance statistics' tail ratio and VaR, rolling quantiles.
// For n values at probability p, h = (n-1)·p; `linear` (numpy's default) interpolates between the
// order statistics floor(h) and floor(h)+1; `inverted_cdf` takes the smallest value whose empirical
// CDF reaches p; `nearest` rounds h half to even, as numpy does.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>

#include "sextant/core/names.hpp"

namespace sextant {

enum class QuantileMethod { linear, inverted_cdf, lower, higher, midpoint, nearest };
inline constexpr auto kQuantileMethodNames = enum_names<QuantileMethod>({{QuantileMethod::linear, "linear"},
                                                                        {QuantileMethod::inverted_cdf, "inverted_cdf"},
                                                                        {QuantileMethod::lower, "lower"},
                                                                        {QuantileMethod::higher, "higher"},
                                                                        {QuantileMethod::midpoint, "midpoint"},
                                                                        {QuantileMethod::nearest, "nearest"}});
inline QuantileMethod parse_quantile_method(std::string_view s, std::string_view field = "quantile_method") {
  return kQuantileMethodNames.parse(s, field);
}

//! The first order statistic (0-based) a method reads for n values at p; every method reads at most
//! it and the next one.
inline std::size_t quantile_first_index(std::size_t n, double p, QuantileMethod m) {
  if (m == QuantileMethod::inverted_cdf)  // the smallest value whose empirical CDF reaches p
    return std::size_t(std::clamp(std::ceil(double(n) * p) - 1.0, 0.0, double(n - 1)));
  return std::size_t(std::floor(double(n - 1) * p));
}

//! The quantile of n values at p given their order statistics through at(k) (k-th smallest, from 0).
template <class At>
double quantile_from(std::size_t n, double p, QuantileMethod m, At&& at) {
  const std::size_t first = quantile_first_index(n, p, m);
  if (m == QuantileMethod::inverted_cdf) return at(first);
  const double h = double(n - 1) * p;
  const std::size_t lo = first, hi = std::min(lo + 1, n - 1);
  switch (m) {
    case QuantileMethod::linear: return at(lo) + (h - double(lo)) * (at(hi) - at(lo));
    case QuantileMethod::lower: return at(lo);
    case QuantileMethod::higher: return at(std::size_t(std::ceil(h)));
    case QuantileMethod::midpoint: return (at(lo) + at(std::size_t(std::ceil(h)))) / 2.0;
    case QuantileMethod::nearest: return at(std::size_t(std::nearbyint(h)));  // round half to even, as numpy
    case QuantileMethod::inverted_cdf: break;
  }
  return at(lo);
}

//! numpy.quantile of sorted values at probability p, by method.
double quantile_sorted(std::span<const double> sorted, double p, QuantileMethod method = QuantileMethod::linear);
//! The same of unsorted values, by selection rather than a full sort (heap selection of the few
//! order statistics needed in a tail, nth_element elsewhere); reorders `values`.
double quantile_select(std::span<double> values, double p, QuantileMethod method = QuantileMethod::linear);
//! numpy.quantile(values, q) (linear) of unsorted values, which are copied, not reordered.
double quantile_linear(std::span<const double> values, double q);
inline double quantile_linear_sorted(std::span<const double> sorted, double q) {
  return quantile_sorted(sorted, q, QuantileMethod::linear);
}

}  // namespace sextant
