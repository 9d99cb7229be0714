#pragma once
// Rolling statistics over each column of a panel, with pandas' semantics: a window of `window` rows
// ending at each row; NaN inputs are skipped; a row gets NaN while the window holds fewer than
// `min_periods` values (default: window).
// How each window is aggregated, and where that differs from pandas' rounding: docs/conventions.md.
//  - std/var: ddof 1. skew: adjusted Fisher-Pearson (pandas, >= 3 values). kurt: bias-corrected
//    excess kurtosis (pandas, >= 4 values). quantile: linear interpolation. rank: the average rank of
//    the newest value within its window (1-based). zscore: (x - mean) / std. ema: alpha = 2/(window+1),
//    adjust=False, seeded with the first value (pandas ewm(span=window, adjust=False)).
#include <functional>
#include <optional>
#include <string_view>

#include "sextant/core/matrix.hpp"

namespace sextant::analytics {

enum class RollingStat { mean, sum, std, var, skew, kurt, min, max, median, quantile, zscore, rank, ema };
RollingStat parse_rolling_stat(std::string_view s, std::string_view field = "statistic");

struct RollingOptions {
  RollingStat stat = RollingStat::mean;
  std::size_t window = 20;
  std::optional<std::size_t> min_periods;  //!< default: window
  double q = 0.5;                          //!< quantile
  //! Runs every 256 rows of each block of eight columns (the service passes its request deadline
  //! check; a throw stops every column). A row costs O(1) for sums, extremes and moments, and up to
  //! O(window) for median, quantile and rank (a sorted window per column).
  std::function<void()> checkpoint;
};

//! T×N out for a T×N panel; throws Error(invalid_argument) naming window / min_periods / q.
Matrix rolling(MatrixView x, const RollingOptions& opt);

}  // namespace sextant::analytics
