#include "sextant/analytics/correlation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {

CorrelationMethod parse_correlation_method(std::string_view s, std::string_view field) {
  if (s == "pearson") return CorrelationMethod::pearson;
  if (s == "spearman") return CorrelationMethod::spearman;
  if (s == "kendall") return CorrelationMethod::kendall;
  fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be \"pearson\", \"spearman\" or \"kendall\", got \"{}\"",
       field, s);
}

void average_ranks(const double* values, std::size_t stride, std::size_t n, double* ranks) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a * stride] < values[b * stride]; });
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && values[order[j + 1] * stride] == values[order[i] * stride]) ++j;
    double r = 0.5 * double(i + j) + 1.0;  // mean of ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = r;
    i = j + 1;
  }
}

namespace {

// Pairs (a, b) with a before b and ys[a] > ys[b]: the swaps a stable bottom-up merge sort makes,
// counted without branches on the data (which are unpredictable, and were most of the time). Leaves
// ys sorted; buf is scratch of the same size.
template <class T>
std::uint64_t count_inversions(std::vector<T>& ys, std::vector<T>& buf) {
  const std::size_t n = ys.size();
  std::uint64_t swaps = 0;
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const T a = ys[i], b = ys[j];
        const bool take = b < a;
        buf[k++] = take ? b : a;
        swaps += take ? mid - i : 0;
        i += !take;
        j += take;
      }
      while (i < mid) buf[k++] = ys[i++];
      while (j < hi) buf[k++] = ys[j++];
    }
    std::swap(ys, buf);
  }
  return swaps;
}

// Σ t(t-1)/2 over runs of equal values in sorted v.
template <class T>
double tied_pairs(std::span<const T> v) {
  double ties = 0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[i]) ++j;
    const double t = double(j - i + 1);
    ties += t * (t - 1) / 2;
    i = j + 1;
  }
  return ties;
}

double tau_b(std::size_t n, double tie_x, double tie_y, double tie_xy, double swaps) {
  const double n0 = double(n) * double(n - 1) / 2;
  const double denom = std::sqrt((n0 - tie_x) * (n0 - tie_y));
  return denom > 0 ? (n0 - tie_x - tie_y + tie_xy - 2 * swaps) / denom : std::nan("");
}

// One column sorted once for every pair it takes part in: its order (ties in input order), its dense
// integer ranks (equal values, equal ranks) and its tied pairs.
struct SortedColumn {
  std::vector<std::uint32_t> order;
  std::vector<std::int32_t> rank;
  double ties = 0;
  bool has_ties = false;

  SortedColumn() = default;
  explicit SortedColumn(std::span<const double> x) : order(x.size()), rank(x.size()) {
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return x[a] < x[b]; });
    std::int32_t r = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      if (k > 0 && x[order[k]] != x[order[k - 1]]) ++r;
      rank[order[k]] = r;
    }
    std::vector<std::int32_t> sorted(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) sorted[k] = rank[order[k]];
    ties = tied_pairs<std::int32_t>(sorted);
    has_ties = ties > 0;
  }
};

// Kendall tau-b of two sorted columns (Knight): y's ranks in x's order, ties in x broken by y, then
// the discordant pairs as the swaps of a merge sort on y.
double kendall_sorted(const SortedColumn& x, const SortedColumn& y, std::vector<std::int32_t>& ys,
                      std::vector<std::int32_t>& buf) {
  const std::size_t n = x.order.size();
  ys.resize(n), buf.resize(n);
  for (std::size_t k = 0; k < n; ++k) ys[k] = y.rank[x.order[k]];
  double tie_xy = 0;
  if (x.has_ties) {  // sort y within each run of equal x, and count the joint ties there
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && x.rank[x.order[j]] == x.rank[x.order[i]]) ++j;
      if (j - i > 1) {
        std::sort(ys.begin() + std::ptrdiff_t(i), ys.begin() + std::ptrdiff_t(j));
        tie_xy += tied_pairs<std::int32_t>({ys.data() + i, j - i});
      }
      i = j;
    }
  }
  const double swaps = double(count_inversions(ys, buf));
  return tau_b(n, x.ties, y.ties, tie_xy, swaps);
}

}  // namespace

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  if (x.size() < 2) return std::nan("");
  std::vector<std::int32_t> ys, buf;
  return kendall_sorted(SortedColumn(x), SortedColumn(y), ys, buf);
}

namespace {

bool has_nan(MatrixView x) {
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < x.cols; ++j)
      if (std::isnan(x(i, j))) return true;
  return false;
}

Matrix ranked(MatrixView x) {
  Matrix r(x.rows, x.cols);
  tbb::parallel_for(std::size_t(0), x.cols, [&](std::size_t j) {
    std::vector<double> col(x.rows);
    average_ranks(x.data + j, x.ld, x.rows, col.data());
    for (std::size_t t = 0; t < x.rows; ++t) r(t, j) = col[t];
  });
  return r;
}

double pearson_pair(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 2) return std::nan("");
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= double(n);
  mb /= double(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// One pair's statistic on the rows where both columns are finite.
double pair_statistic(MatrixView x, std::size_t i, std::size_t j, CorrelationMethod method) {
  std::vector<double> a, b;
  a.reserve(x.rows);
  b.reserve(x.rows);
  for (std::size_t t = 0; t < x.rows; ++t)
    if (!std::isnan(x(t, i)) && !std::isnan(x(t, j))) {
      a.push_back(x(t, i));
      b.push_back(x(t, j));
    }
  if (a.size() < 2) return std::nan("");
  if (method == CorrelationMethod::kendall) return kendall_tau_b(a, b);
  if (method == CorrelationMethod::spearman) {
    std::vector<double> ra(a.size()), rb(b.size());
    average_ranks(a.data(), 1, a.size(), ra.data());
    average_ranks(b.data(), 1, b.size(), rb.data());
    return pearson_pair(ra, rb);
  }
  return pearson_pair(a, b);
}

// Fills every off-diagonal pair with f(i, j), in parallel over rows of the lower triangle.
template <class F>
Matrix pairwise(std::size_t n, F&& f, const std::function<void()>& checkpoint = {}) {
  Matrix c(n, n);
  tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
    if (checkpoint) checkpoint();  // a throw here cancels the other rows and reaches the caller
    for (std::size_t j = 0; j < i; ++j) c(i, j) = f(i, j);
  });
  for (std::size_t i = 0; i < n; ++i) {
    c(i, i) = 1.0;
    for (std::size_t j = 0; j < i; ++j) c(j, i) = c(i, j);
  }
  return c;
}

}  // namespace

Precision parse_precision(std::string_view s, std::string_view field) {
  if (s == "fp64") return Precision::fp64;
  if (s == "fp32") return Precision::fp32;
  fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be \"fp64\" or \"fp32\", got \"{}\"", field, s);
}

PrecisionDeviation fp32_deviation(MatrixView x, MatrixView result, CorrelationMethod method, bool covariance,
                                  std::size_t max_columns) {
  const std::size_t n = x.cols, k = std::min(n, max_columns);
  std::vector<std::size_t> cols(k);
  for (std::size_t i = 0; i < k; ++i) cols[i] = i * n / k;
  Matrix sub(x.rows, k);
  for (std::size_t t = 0; t < x.rows; ++t)
    for (std::size_t i = 0; i < k; ++i) sub(t, i) = x(t, cols[i]);
  Matrix exact = covariance ? accel::covariance(sub) : correlation(sub, method);
  PrecisionDeviation d;
  d.sample_columns = k;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j)
      d.max_abs_deviation = std::max(d.max_abs_deviation, std::abs(exact(i, j) - result(cols[i], cols[j])));
  return d;
}

Matrix correlation(MatrixView x, CorrelationMethod method, Missing missing, Precision precision,
                   const std::function<void()>& checkpoint) {
  accel::require_memory_pool(8.0 * double(x.cols) * double(x.cols), "returns", "the correlation matrix");
  if (precision == Precision::fp32) {
    if (method == CorrelationMethod::kendall)
      fail(ErrorCode::invalid_argument, "precision", "\"fp32\" applies to pearson and spearman, not kendall");
    if (missing == Missing::pairwise && has_nan(x))
      fail(ErrorCode::invalid_argument, "precision", "\"fp32\" needs complete data (no missing values)");
    return method == CorrelationMethod::spearman ? accel::correlation_fp32(ranked(x)) : accel::correlation_fp32(x);
  }
  if (missing == Missing::pairwise && has_nan(x)) {
    Matrix c = pairwise(x.cols, [&](std::size_t i, std::size_t j) { return pair_statistic(x, i, j, method); }, checkpoint);
    for (std::size_t i = 0; i < x.cols; ++i) {  // a column with < 2 values has no correlation with itself either
      std::size_t valid = 0;
      for (std::size_t t = 0; t < x.rows; ++t) valid += !std::isnan(x(t, i));
      if (valid < 2) c(i, i) = std::nan("");
    }
    return c;
  }
  switch (method) {
    case CorrelationMethod::pearson: return accel::correlation(x);
    case CorrelationMethod::spearman: return accel::correlation(ranked(x));
    case CorrelationMethod::kendall: {
      if (x.rows < 2) return pairwise(x.cols, [](std::size_t, std::size_t) { return std::nan(""); }, checkpoint);
      std::vector<SortedColumn> sorted(x.cols);
      tbb::parallel_for(std::size_t(0), x.cols, [&](std::size_t j) {
        std::vector<double> col(x.rows);
        for (std::size_t t = 0; t < x.rows; ++t) col[t] = x(t, j);
        sorted[j] = SortedColumn(col);
      });
      return pairwise(
          x.cols,
          [&](std::size_t i, std::size_t j) {
            thread_local std::vector<std::int32_t> ys, buf;
            return kendall_sorted(sorted[i], sorted[j], ys, buf);
          },
          checkpoint);
    }
  }
  return {};
}

CorrelationSummary summarize(MatrixView corr) {
  CorrelationSummary s;
  const std::size_t n = corr.rows;
  double off = 0;
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      finite = finite && std::isfinite(corr(i, j));
      if (i != j) off += corr(i, j);
    }
  s.average_correlation = n > 1 ? off / double(n * (n - 1)) : 0.0;
  if (!finite) {
    s.average_correlation = std::nan("");
    return s;  // eigenvalues of a matrix with missing entries are not defined
  }
  s.eigenvalues = accel::eigvalsh(corr);
  double hi = s.eigenvalues.front(), lo = s.eigenvalues.back();
  if (hi > 0 && lo > 1e-12 * hi) s.condition_number = hi / lo;
  return s;
}

std::size_t rolling_windows(std::size_t rows, std::size_t window, std::size_t step) {
  return window < 2 || window > rows || step == 0 ? 0 : (rows - window) / step + 1;
}

RollingCorrelation rolling_correlation(MatrixView x, std::size_t window, std::size_t step, CorrelationMethod method,
                                       const std::function<void()>& checkpoint) {
  if (window < 2 || window > x.rows)
    fail(ErrorCode::invalid_argument, "window", "'window' must be in [2, {}] (the number of rows), got {}", x.rows,
         window);
  if (step == 0) fail(ErrorCode::invalid_argument, "step", "'step' must be at least 1");
  const double windows = double(rolling_windows(x.rows, window, step));
  accel::require_memory_pool(8.0 * windows * double(x.cols) * double(x.cols), "window",
                             "the rolling correlation matrices");
  RollingCorrelation out;
  for (std::size_t end = window - 1; end < x.rows; end += step) {
    if (checkpoint) checkpoint();
    MatrixView w(x.row(end + 1 - window), window, x.cols, x.ld);
    out.end_rows.push_back(end);
    out.matrices.push_back(correlation(w, method));
  }
  return out;
}

}  // namespace sextant::analytics
