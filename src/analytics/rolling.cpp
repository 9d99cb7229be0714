#include "sextant/analytics/rolling.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"

namespace sextant::analytics {

RollingStat parse_rolling_stat(std::string_view s, std::string_view field) {
  static constexpr std::pair<std::string_view, RollingStat> names[] = {
      {"mean", RollingStat::mean},     {"sum", RollingStat::sum},           {"std", RollingStat::std},
      {"var", RollingStat::var},       {"skew", RollingStat::skew},         {"kurt", RollingStat::kurt},
      {"min", RollingStat::min},       {"max", RollingStat::max},           {"median", RollingStat::median},
      {"quantile", RollingStat::quantile}, {"zscore", RollingStat::zscore}, {"rank", RollingStat::rank},
      {"ema", RollingStat::ema}};
  for (auto [n, v] : names)
    if (n == s) return v;
  fail(ErrorCode::invalid_argument, std::string(field),
       "'{}' must be one of mean, sum, std, var, skew, kurt, min, max, median, quantile, zscore, rank, ema; got \"{}\"",
       field, s);
}

namespace {

double quantile_sorted(const std::vector<double>& v, double q) {
  double pos = q * double(v.size() - 1);
  std::size_t lo = std::size_t(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

// One window's statistic over its finite values `w` (newest last); `newest` is the row's own value.
double window_stat(RollingStat s, std::vector<double>& w, double newest, double q) {
  const double n = double(w.size());
  double sum = 0;
  for (double v : w) sum += v;
  const double mean = sum / n;
  switch (s) {
    case RollingStat::mean: return mean;
    case RollingStat::sum: return sum;
    case RollingStat::var:
    case RollingStat::std:
    case RollingStat::zscore: {
      if (w.size() < 2) return std::nan("");
      double ss = 0;
      for (double v : w) ss += (v - mean) * (v - mean);
      const double var = ss / (n - 1);
      if (s == RollingStat::var) return var;
      if (s == RollingStat::std) return std::sqrt(var);
      return var > 0 ? (newest - mean) / std::sqrt(var) : std::nan("");
    }
    case RollingStat::skew: return sample_skew(standardised_moments(w, mean), n);
    case RollingStat::kurt: return sample_excess_kurtosis(standardised_moments(w, mean), n);
    case RollingStat::min: return *std::min_element(w.begin(), w.end());
    case RollingStat::max: return *std::max_element(w.begin(), w.end());
    case RollingStat::median:
    case RollingStat::quantile:
      std::sort(w.begin(), w.end());
      return quantile_sorted(w, s == RollingStat::median ? 0.5 : q);
    case RollingStat::rank: {
      if (std::isnan(newest)) return std::nan("");
      double less = 0, equal = 0;
      for (double v : w) {
        less += v < newest;
        equal += v == newest;
      }
      return less + (equal + 1) / 2.0;
    }
    case RollingStat::ema: break;
  }
  return std::nan("");
}

}  // namespace

Matrix rolling(MatrixView x, const RollingOptions& opt) {
  if (opt.window < 1 || opt.window > x.rows)
    fail(ErrorCode::invalid_argument, "window", "'window' must be in [1, {}] (the number of rows), got {}", x.rows,
         opt.window);
  const std::size_t min_periods = opt.min_periods.value_or(opt.window);
  if (min_periods < 1 || min_periods > opt.window)
    fail(ErrorCode::invalid_argument, "min_periods", "'min_periods' must be in [1, window = {}], got {}", opt.window,
         min_periods);
  if (opt.stat == RollingStat::quantile && !(opt.q >= 0.0 && opt.q <= 1.0))
    fail(ErrorCode::invalid_argument, "q", "'q' must be in [0, 1], got {}", opt.q);
  Matrix out(x.rows, x.cols, std::nan(""));
  tbb::parallel_for(std::size_t(0), x.cols, [&](std::size_t j) {
    if (opt.stat == RollingStat::ema) {
      const double alpha = 2.0 / (double(opt.window) + 1.0);
      double e = std::nan("");
      std::size_t seen = 0;
      for (std::size_t t = 0; t < x.rows; ++t) {
        double v = x(t, j);
        if (!std::isnan(v)) {
          e = seen == 0 ? v : alpha * v + (1.0 - alpha) * e;
          ++seen;
        }
        if (seen >= min_periods) out(t, j) = e;
      }
      return;
    }
    std::vector<double> w;
    for (std::size_t t = 0; t < x.rows; ++t) {
      if (opt.checkpoint && t % 256 == 0) opt.checkpoint();
      w.clear();
      for (std::size_t i = t + 1 > opt.window ? t + 1 - opt.window : 0; i <= t; ++i)
        if (!std::isnan(x(i, j))) w.push_back(x(i, j));
      if (w.size() >= min_periods) out(t, j) = window_stat(opt.stat, w, x(t, j), opt.q);
    }
  });
  return out;
}

}  // namespace sextant::analytics
