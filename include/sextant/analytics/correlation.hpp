#pragma once
// Correlation matrices: Pearson, Spearman (Pearson of average ranks, as pandas/scipy) and Kendall
// tau-b, with optional pairwise-complete handling of missing values (NaN), as pandas DataFrame.corr.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant::analytics {

enum class CorrelationMethod { pearson, spearman, kendall };
CorrelationMethod parse_correlation_method(std::string_view s, std::string_view field = "method");

enum class Missing {
  reject,    //!< NaN is an error (the caller checks; the functions here assume finite input)
  pairwise,  //!< each pair uses the rows where both are finite (< 2 such rows: NaN)
};

//! N×N correlation of the columns of x (T×N). With Missing::pairwise, x may hold NaN.
Matrix correlation(MatrixView x, CorrelationMethod method, Missing missing = Missing::reject);

//! Average ranks (1-based, ties get their mean rank) of n values read with a stride.
void average_ranks(const double* values, std::size_t stride, std::size_t n, double* ranks);

//! Kendall's tau-b of two equally long finite series (Knight's O(n log n) algorithm). NaN when a
//! series is constant.
double kendall_tau_b(std::span<const double> x, std::span<const double> y);

struct CorrelationSummary {
  std::vector<double> eigenvalues;         //!< all, descending
  std::optional<double> condition_number;  //!< λmax/λmin; empty when λmin <= 1e-12·λmax (singular)
  double average_correlation = 0;          //!< mean of the off-diagonal entries
};
CorrelationSummary summarize(MatrixView corr);

//! Correlation over each window of `window` rows ending at rows window-1, window-1+step, ...
//! The i-th matrix covers rows [end_i - window + 1, end_i].
struct RollingCorrelation {
  std::vector<std::size_t> end_rows;
  std::vector<Matrix> matrices;
};
RollingCorrelation rolling_correlation(MatrixView x, std::size_t window, std::size_t step, CorrelationMethod method);

}  // namespace sextant::analytics
