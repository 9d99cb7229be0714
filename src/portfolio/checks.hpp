#pragma once
// Input checks shared by the portfolio engine's files (not a public header).
#include <cmath>
#include <string>
#include <vector>

#include "sextant/core/error.hpp"

namespace sextant::portfolio::detail {

//! `v` must have n finite entries; the error names `field` (and the index of a non-finite entry).
inline void check_vector(const std::vector<double>& v, std::size_t n, const std::string& field) {
  if (v.size() != n) fail(ErrorCode::dimension_mismatch, field, "'{}' has {} entries for {} assets", field, v.size(), n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}]", field, i), "'{}' must be finite", field);
}

}  // namespace sextant::portfolio::detail
