#pragma once
// Correlation matrices: Pearson, Spearman (Pearson of average ranks, as pandas/scipy) and Kendall
// tau-b, with optional pairwise-complete handling of missing values (NaN), as pandas DataFrame.corr.
#include <functional>
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

enum class Precision { fp64, fp32 };
Precision parse_precision(std::string_view s, std::string_view field = "precision");

//! N×N correlation of the columns of x (T×N). With Missing::pairwise, x may hold NaN.
//! Precision::fp32 applies to Pearson and Spearman on complete data (the O(N²T) product in fp32).
//! `checkpoint` is called once per row of the pair-by-pair methods (Kendall, pairwise-complete data),
//! from worker threads; it may throw to abandon the work (the HTTP adapter checks the deadline).
Matrix correlation(MatrixView x, CorrelationMethod method, Missing missing = Missing::reject,
                   Precision precision = Precision::fp64, const std::function<void()>& checkpoint = {});

//! The measured cost of fp32: the largest |fp32 - fp64| entry over a sample of up to `max_columns`
//! evenly spaced columns (recomputed in fp64). `covariance` selects which statistic `result` holds.
struct PrecisionDeviation {
  double max_abs_deviation = 0;
  std::size_t sample_columns = 0;
};
PrecisionDeviation fp32_deviation(MatrixView x, MatrixView result, CorrelationMethod method, bool covariance,
                                  std::size_t max_columns = 64);

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
//! The number of matrices rolling_correlation makes: (T - window) / step + 1.
std::size_t rolling_windows(std::size_t rows, std::size_t window, std::size_t step);
//! `checkpoint` runs before each window (the service passes its request deadline check).
RollingCorrelation rolling_correlation(MatrixView x, std::size_t window, std::size_t step, CorrelationMethod method,
                                       const std::function<void()>& checkpoint = {});

}  // namespace sextant::analytics
