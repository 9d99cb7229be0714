#include "sextant/analytics/correlation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
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

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n < 2) return std::nan("");
  std::vector<std::pair<double, double>> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {x[i], y[i]};
  std::sort(p.begin(), p.end());
  // Ties in x, and joint ties in (x, y), from the lexicographic order.
  double tie_x = 0, tie_xy = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && p[j + 1].first == p[i].first) ++j;
    double t = double(j - i + 1);
    tie_x += t * (t - 1) / 2;
    for (std::size_t a = i; a <= j;) {
      std::size_t b = a;
      while (b + 1 <= j && p[b + 1].second == p[a].second) ++b;
      double u = double(b - a + 1);
      tie_xy += u * (u - 1) / 2;
      a = b + 1;
    }
    i = j + 1;
  }
  // Discordant pairs = swaps a merge sort on y makes (bottom-up, stable).
  std::vector<double> ys(n), buf(n);
  for (std::size_t i = 0; i < n; ++i) ys[i] = p[i].second;
  double swaps = 0;
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (ys[j] < ys[i]) {
          swaps += double(mid - i);
          buf[k++] = ys[j++];
        } else {
          buf[k++] = ys[i++];
        }
      }
      while (i < mid) buf[k++] = ys[i++];
      while (j < hi) buf[k++] = ys[j++];
    }
    std::swap(ys, buf);
  }
  double tie_y = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && ys[j + 1] == ys[i]) ++j;
    double t = double(j - i + 1);
    tie_y += t * (t - 1) / 2;
    i = j + 1;
  }
  double n0 = double(n) * double(n - 1) / 2;
  double concordant_minus_discordant = n0 - tie_x - tie_y + tie_xy - 2 * swaps;
  double denom = std::sqrt((n0 - tie_x) * (n0 - tie_y));
  return denom > 0 ? concordant_minus_discordant / denom : std::nan("");
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
      Matrix cols(x.cols, x.rows);  // column-contiguous copy
      for (std::size_t t = 0; t < x.rows; ++t)
        for (std::size_t j = 0; j < x.cols; ++j) cols(j, t) = x(t, j);
      return pairwise(
          x.cols, [&](std::size_t i, std::size_t j) { return kendall_tau_b({cols.row(i), x.rows}, {cols.row(j), x.rows}); },
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

RollingCorrelation rolling_correlation(MatrixView x, std::size_t window, std::size_t step, CorrelationMethod method) {
  if (window < 2 || window > x.rows)
    fail(ErrorCode::invalid_argument, "window", "'window' must be in [2, {}] (the number of rows), got {}", x.rows,
         window);
  if (step == 0) fail(ErrorCode::invalid_argument, "step", "'step' must be at least 1");
  const double windows = double((x.rows - window) / step + 1);
  accel::require_memory_pool(8.0 * windows * double(x.cols) * double(x.cols), "window",
                             "the rolling correlation matrices");
  RollingCorrelation out;
  for (std::size_t end = window - 1; end < x.rows; end += step) {
    MatrixView w(x.row(end + 1 - window), window, x.cols, x.ld);
    out.end_rows.push_back(end);
    out.matrices.push_back(correlation(w, method));
  }
  return out;
}

}  // namespace sextant::analytics
