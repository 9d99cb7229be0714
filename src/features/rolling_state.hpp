#pragma once
// Per-instrument states the stream carries from bar to bar: EMA's recurrence and the sorted window of
// Quantile/Med. (Sum/Mean/Var/Std states run eight instruments to a vector, for batch and stream alike:
// MeanLanes/VarLanes in kernels_window_impl.hpp.) Batch must perform the same operations in the same
// order (streaming equals batch bit for bit: change both).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace sextant::features::kernels {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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
