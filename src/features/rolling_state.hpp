#pragma once
// Per-instrument states of the rolling recurrences. The stream steps these; batch runs MeanState and
// VarState eight instruments to a vector (mean_impl/var_impl in kernels_window_impl.hpp), which must
// perform the same operations in the same order (streaming equals batch bit for bit: change both).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace sextant::features::kernels {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// pandas' roll_sum/roll_mean state: separate compensations for adding and removing.
struct MeanState {
  double sum = 0, comp_add = 0, comp_rem = 0, prev = kNaN;
  long nobs = 0, same = 0, neg = 0;
  void add(double v) {
    if (v != v) return;
    ++nobs;
    const double y = v - comp_add, t = sum + y;
    comp_add = t - sum - y;
    sum = t;
    if (std::signbit(v)) ++neg;
    if (v == prev) {
      ++same;
    } else {
      same = 1;
      prev = v;
    }
  }
  void remove(double v) {
    if (v != v) return;
    --nobs;
    const double y = -v - comp_rem, t = sum + y;
    comp_rem = t - sum - y;
    sum = t;
    if (std::signbit(v)) --neg;
  }
  double mean(long minp) const {
    if (nobs < minp || nobs == 0) return kNaN;
    if (same >= nobs) return prev;
    const double r = sum / double(nobs);
    if (neg == 0 && r < 0) return 0;
    if (neg == nobs && r > 0) return 0;
    return r;
  }
  double total(long minp) const {
    if (nobs == 0 && minp == 0) return 0;
    if (nobs < minp || nobs == 0) return kNaN;
    if (same >= nobs) return prev * double(nobs);
    return sum;
  }
};

// pandas' roll_var state: Welford with Kahan-compensated means.
struct VarState {
  double mean = 0, ssq = 0, comp_add = 0, comp_rem = 0, prev = kNaN;
  long nobs = 0, same = 0;
  void add(double v) {
    if (v != v) return;
    if (v == prev) {
      ++same;
    } else {
      same = 1;
      prev = v;
    }
    ++nobs;
    const double prev_mean = mean - comp_add, y = v - comp_add, t = y - mean;
    comp_add = t + mean - y;
    mean = mean + t / double(nobs);
    ssq = ssq + (v - prev_mean) * (v - mean);
  }
  void remove(double v) {
    if (v != v) return;
    --nobs;
    if (nobs) {
      const double prev_mean = mean - comp_rem, y = v - comp_rem, t = y - mean;
      comp_rem = t + mean - y;
      mean = mean - t / double(nobs);
      ssq = ssq - (v - prev_mean) * (v - mean);
    } else {
      mean = 0;
      ssq = 0;
    }
  }
  double var(long minp, int ddof = 1) const {
    if (nobs < minp || nobs <= ddof) return kNaN;
    if (nobs == 1 || same >= nobs) return 0;
    const double r = ssq / double(nobs - ddof);
    return r < 0 ? 0 : r;
  }
};

// One step of a windowed recurrence for one instrument: the value leaving the window (when the window
// is full) is removed, the new one added. The stream calls these (batch: their vector copies).
inline double mean_step(MeanState& s, bool full, double leaving, double entering, long minp, bool mean) {
  if (full) s.remove(leaving);
  s.add(entering);
  return mean ? s.mean(minp) : s.total(minp);
}
inline double var_step(VarState& s, bool full, double leaving, double entering, long minp, bool sd) {
  if (full) s.remove(leaving);
  s.add(entering);
  const double v = s.var(minp);
  return sd ? std::sqrt(v) : v;
}

// pandas ewm(span=N or alpha=N, adjust=True, ignore_na=False, min_periods=1).mean(), one value at a time.
inline double ema_alpha(double n) { return n < 1 ? n : 2.0 / (n + 1.0); }

struct EmaState {
  double weighted = std::numeric_limits<double>::quiet_NaN(), old_wt = 1;
  long nobs = 0;
  bool started = false;
  double step(double cur, double alpha) {
    const bool obs = cur == cur;
    nobs += obs;
    if (!started) {
      weighted = cur;
      started = true;
    } else if (weighted == weighted) {
      old_wt *= 1.0 - alpha;
      if (obs) {
        if (weighted != cur) {
          weighted = old_wt * weighted + cur;
          weighted /= (old_wt + 1.0);
        }
        old_wt += 1.0;
      }
    } else if (obs) {
      weighted = cur;
    }
    return nobs >= 1 ? weighted : std::numeric_limits<double>::quiet_NaN();
  }
};

// Quantile and Med's state: the window's non-NaN values kept sorted as rows enter and leave (O(w)
// moves a row). Batch and the stream hold the same values in the same order.
struct SortedWindow {
  std::vector<double> v;
  void step(bool full, double leaving, double entering) {
    if (full && leaving == leaving) v.erase(std::lower_bound(v.begin(), v.end(), leaving));
    if (entering == entering) v.insert(std::upper_bound(v.begin(), v.end(), entering), entering);
  }
};

// pandas: idx = q·(n-1), low + (high - low)·(idx - floor(idx)); the median is the middle value or the
// mean of the middle two. `sorted` holds the window's `cnt` non-NaN values in order.
inline double order_statistic(bool median, double q, const double* sorted, std::size_t cnt) {
  if (cnt == 0) return kNaN;
  if (median) return cnt % 2 ? sorted[cnt / 2] : (sorted[cnt / 2 - 1] + sorted[cnt / 2]) / 2.0;
  const double idx = q * double(cnt - 1), lo = std::floor(idx);
  const double vlow = sorted[std::size_t(lo)];
  return idx == lo ? vlow : vlow + (sorted[std::size_t(lo) + 1] - vlow) * (idx - lo);
}

}  // namespace sextant::features::kernels
