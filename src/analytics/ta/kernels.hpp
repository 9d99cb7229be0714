#pragma once
// Building blocks shared by the TA-Lib function files: moving averages with TA-Lib's seeding,
// the true range, and window extrema. All write only rows >= their first output row.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace sextant::analytics::ta::k {

// TA_IS_ZERO: TA-Lib treats |v| < 1e-8 as zero in its divisions.
inline bool is_zero(double v) { return -0.00000001 < v && v < 0.00000001; }

//! Simple moving average of x[0..n) with the first output at row period-1+first (first: first valid row).
inline void sma(const double* x, std::size_t n, int period, std::size_t first, double* out) {
  if (first + period > n) return;
  double sum = 0;
  for (std::size_t i = first; i < first + period - 1; ++i) sum += x[i];
  std::size_t trailing = first;
  for (std::size_t t = first + period - 1; t < n; ++t) {
    sum += x[t];
    out[t] = sum / period;
    sum -= x[trailing++];
  }
}

//! TA-Lib's INT_EMA: the first output at row `start` is the SMA of x[start-period+1 .. start], then
//! e = (x - e)·k + e. `start` must be >= period-1 and the inputs before it valid from start-period+1.
inline void ema_from(const double* x, std::size_t n, int period, double k, std::size_t start, double* out) {
  if (start >= n) return;
  double e = 0;
  for (std::size_t i = start + 1 - period; i <= start; ++i) e += x[i];
  e /= period;
  out[start] = e;
  for (std::size_t t = start + 1; t < n; ++t) {
    e = (x[t] - e) * k + e;
    out[t] = e;
  }
}

inline double ema_k(int period) { return 2.0 / (period + 1); }

//! One EMA fed value by value with TA-Lib's seeding (the SMA of its first `period` inputs): the
//! same arithmetic as ema_from, without a series buffer. push() returns true once `value` is valid.
struct EmaFeed {
  EmaFeed(int p, double k) : period(p), k(k) {}
  bool push(double x) {
    if (++count < period) {
      value += x;
      return false;
    }
    value = count == period ? (value + x) / period : (x - value) * k + value;
    return true;
  }
  int period;
  double k;
  int count = 0;
  double value = 0;  //!< the running seed sum, then the EMA
};

//! WMA with weights 1..period (newest heaviest), by TA-Lib's running sums: periodSum holds the
//! weighted sum, periodSub the plain sum; each step adds p·x and then subtracts the plain sum.
inline void wma(const double* x, std::size_t n, int period, std::size_t first, double* out) {
  if (first + period > n) return;
  const double divider = period * (period + 1) / 2.0;
  double sum = 0, sub = 0, trailing = 0;
  std::size_t i = first, trail = first;
  for (int w = 1; w < period; ++w, ++i) {
    sub += x[i];
    sum += x[i] * w;
  }
  for (; i < n; ++i) {
    sub += x[i];
    sub -= trailing;
    sum += x[i] * period;
    trailing = x[trail++];
    out[i] = sum / divider;
    sum -= sub;
  }
}

//! Highest high and lowest low of the `period` bars ending at t.
inline void window_high_low(const double* high, const double* low, std::size_t t, int period, double& hi, double& lo) {
  hi = high[t], lo = low[t];
  for (int i = 1; i < period; ++i) {
    hi = std::max(hi, high[t - i]);
    lo = std::min(lo, low[t - i]);
  }
}

//! TA-Lib's TRUE_RANGE for bar t given the previous close.
inline double true_range(double high, double low, double prev_close) {
  double r = high - low;
  double a = std::fabs(high - prev_close);
  if (a > r) r = a;
  a = std::fabs(low - prev_close);
  if (a > r) r = a;
  return r;
}

// TA-Lib's INT_VAR: running sums of x and x², mean(x²) - mean(x)², in its exact operation order
// (the cancellation is TA-Lib's too, so results agree to the last digits).
inline void running_var(const double* x, std::size_t n, int period, double* out) {
  double s1 = 0, s2 = 0;
  std::size_t i = 0, trailing = 0;
  for (; i + 1 < std::size_t(period); ++i) {
    s1 += x[i];
    s2 += x[i] * x[i];
  }
  for (; i < n; ++i) {
    s1 += x[i];
    s2 += x[i] * x[i];
    double m1 = s1 / period, m2 = s2 / period;
    s1 -= x[trailing];
    s2 -= x[trailing] * x[trailing];
    ++trailing;
    out[i] = m2 - m1 * m1;
  }
}

//! TA-Lib's MA by type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA. `first` is the first valid row
//! of x; returns the first output row (or n when there is none). Other types throw (not in this build).
std::size_t moving_average(const double* x, std::size_t n, int period, int ma_type, std::size_t first, double* out);
//! Lookback of moving_average for a type.
int ma_lookback(int period, int ma_type);
//! Parabolic SAR (Wilder; TA-Lib's SAREXT, of which SAR is the case of equal long/short accelerations
//! and unsigned output). The first direction comes from the -DM of the first two bars unless `start`
//! gives it; on a reversal the SAR jumps to the extreme point, clamped by the last two bars' range,
//! then moves by `offset`. With `signed_short`, short positions are reported negative. Writes rows >= 1.
void parabolic_sar(const double* high, const double* low, std::size_t n, double start, double offset, double init_long,
                   double step_long, double max_long, double init_short, double step_short, double max_short,
                   bool signed_short, double* out);
//! The same SAR bar by bar (the batch kernel runs it too): init() with the first two bars, then
//! step() for every bar from the second on, which returns that bar's output.
struct SarState {
  SarState(double start, double offset, double init_long, double step_long, double max_long, double init_short,
           double step_short, double max_short, bool signed_short);
  void init(double high0, double low0, double high1, double low1);
  double step(double high, double low);

  double start, offset, init_long, step_long, max_long, init_short, step_short, max_short, sign;
  bool is_long = true;
  double af_long = 0, af_short = 0, ep = 0, sar = 0, new_low = 0, new_high = 0;
};
//! TA_MA as TA-Lib runs it from a later start row: EMA-based types are seeded "as late as possible",
//! so that their first value falls exactly on `start` (start >= ma_lookback). Writes rows >= start.
void moving_average_at(const double* x, std::size_t n, int period, int ma_type, std::size_t start, double* out);

}  // namespace sextant::analytics::ta::k
