#include "sextant/analytics/rolling.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "sextant/analytics/performance.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"
#include "simd.hpp"

namespace sextant::analytics {

RollingStat parse_rolling_stat(std::string_view s, std::string_view field) {
  static constexpr std::pair<std::string_view, RollingStat> names[] = {
      {"mean", RollingStat::mean},     {"sum", RollingStat::sum},
      {"std", RollingStat::std},       {"var", RollingStat::var},
      {"skew", RollingStat::skew},     {"kurt", RollingStat::kurt},
      {"min", RollingStat::min},       {"max", RollingStat::max},
      {"median", RollingStat::median}, {"quantile", RollingStat::quantile},
      {"zscore", RollingStat::zscore}, {"rank", RollingStat::rank},
      {"ema", RollingStat::ema}};
  for (auto [n, v] : names)
    if (n == s) return v;
  fail(ErrorCode::invalid_argument, std::string(field),
       "'{}' must be one of mean, sum, std, var, skew, kurt, min, max, median, quantile, zscore, rank, ema; got \"{}\"",
       field, s);
}

namespace {

// rolling_columns is compiled three times (AVX-512, AVX2, baseline) and picked by the CPU at the
// call. Not with target_clones, as simd.hpp's loops are: GCC 12 treats a call through the clones'
// dispatcher as nothrow, so the deadline checkpoint's throw (or a bad_alloc) would end in
// std::terminate. Everything that takes or returns a V8 is forced inline (SEXTANT_INLINE, lambdas
// included), so no V8 crosses a call between code with different vector ABIs (GCC's -Wpsabi note,
// silenced for that reason by -Wno-psabi on this file in src/CMakeLists.txt).
#define SEXTANT_INLINE [[gnu::always_inline]] inline
#define SEXTANT_INLINE_LAMBDA __attribute__((always_inline))

// Every statistic runs on blocks of eight columns (one cache line of each row, one GCC vector), a
// task per block, rows in order; a partial last block is padded with NaN, which every statistic
// skips. Results do not depend on the number of threads.
constexpr std::size_t kLanes = 8;
constexpr std::size_t kCheckpointRows = 256;
// Rows per block of the window aggregation (sliding below): the window length, capped so that the
// stored suffix aggregates of one block stay within L2 whatever the window.
constexpr std::size_t kMaxBlockRows = 2048;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const V8 kZero = V8{}, kOne = V8{} + 1.0, kNaNs = V8{} + kNaN;

struct Columns {
  MatrixView x;
  std::size_t j0, lanes;  // columns [j0, j0 + lanes), lanes ≤ 8

  SEXTANT_INLINE V8 load(std::size_t t) const {
    V8 v;
    if (lanes == kLanes) {
      std::memcpy(&v, x.row(t) + j0, sizeof v);
      return v;
    }
    for (std::size_t c = 0; c < kLanes; ++c) v[c] = c < lanes ? x(t, j0 + c) : kNaN;
    return v;
  }
  SEXTANT_INLINE void store(Matrix& out, std::size_t t, const V8& v) const {
    if (lanes == kLanes) {
      std::memcpy(out.row(t) + j0, &v, sizeof v);
      return;
    }
    for (std::size_t c = 0; c < lanes; ++c) out(t, j0 + c) = v[c];
  }
};

// Window aggregates. Each is a monoid over the non-NaN values: empty(), point(v) (empty for NaN) and
// a + b for the values of a followed by those of b. An empty side adds exactly nothing, so a window
// of equal values aggregates to that value with zero spread.

struct SumAgg {
  V8 n, s;
  SEXTANT_INLINE static SumAgg empty() { return {kZero, kZero}; }
  SEXTANT_INLINE static SumAgg point(const V8& v) { return {v == v ? kOne : kZero, v == v ? v : kZero}; }
  SEXTANT_INLINE friend SumAgg operator+(const SumAgg& a, const SumAgg& b) { return {a.n + b.n, a.s + b.s}; }
};

template <bool kMax>
struct ExtremeAgg {
  V8 n, m;  // m: ∓Inf when empty
  SEXTANT_INLINE static ExtremeAgg empty() { return {kZero, V8{} + (kMax ? -kInf : kInf)}; }
  SEXTANT_INLINE static ExtremeAgg point(const V8& v) { return {v == v ? kOne : kZero, v == v ? v : empty().m}; }
  SEXTANT_INLINE friend ExtremeAgg operator+(const ExtremeAgg& a, const ExtremeAgg& b) {
    return {a.n + b.n, (kMax ? a.m > b.m : a.m < b.m) ? a.m : b.m};
  }
};

// Count, mean and Σd² (Chan, Golub and LeVeque's pairwise update): no cancellation however far the
// mean is from zero, unlike running Σx and Σx².
struct Moments2Agg {
  V8 n, mean, m2;
  SEXTANT_INLINE static Moments2Agg empty() { return {kZero, kZero, kZero}; }
  SEXTANT_INLINE static Moments2Agg point(const V8& v) { return {v == v ? kOne : kZero, v == v ? v : kZero, kZero}; }
  SEXTANT_INLINE friend Moments2Agg operator+(const Moments2Agg& a, const Moments2Agg& b) {
    const V8 n = a.n + b.n, r = n > kZero ? b.n / n : kZero, d = b.mean - a.mean;
    return {n, a.mean + d * r, a.m2 + b.m2 + d * d * a.n * r};
  }
};

// The same up to Σd³ and Σd⁴ (Pébay's pairwise formulas).
struct Moments4Agg {
  V8 n, mean, m2, m3, m4;
  SEXTANT_INLINE static Moments4Agg empty() { return {kZero, kZero, kZero, kZero, kZero}; }
  SEXTANT_INLINE static Moments4Agg point(const V8& v) {
    return {v == v ? kOne : kZero, v == v ? v : kZero, kZero, kZero, kZero};
  }
  SEXTANT_INLINE friend Moments4Agg operator+(const Moments4Agg& a, const Moments4Agg& b) {
    const V8 n = a.n + b.n, na = a.n, nb = b.n;
    const V8 r = n > kZero ? nb / n : kZero, inv = n > kZero ? kOne / n : kZero;
    const V8 d = b.mean - a.mean, dn = d * inv, t2 = d * dn * na * nb;  // t2 = d²·na·nb/n
    return {n, a.mean + d * r, a.m2 + b.m2 + t2, a.m3 + b.m3 + t2 * dn * (na - nb) + 3.0 * dn * (na * b.m2 - nb * a.m2),
            a.m4 + b.m4 + t2 * dn * dn * (na * na - na * nb + nb * nb) +
                6.0 * dn * dn * (na * na * b.m2 + nb * nb * a.m2) + 4.0 * dn * (na * b.m3 - nb * a.m3)};
  }
};

// Calls finish(t, aggregate of the window ending at row t, row t's values) for every row, O(1)
// amortised per row whatever the window (van Herk / Gil-Werman, with a middle for long windows).
// Rows go in blocks of `len` = min(window, kMaxBlockRows); a window is then the suffix of the block
// where it starts, the whole blocks in between (none when len = window) and the prefix of the block
// where it ends. Suffixes are aggregated backwards once per block, prefixes forwards as rows arrive,
// and the middle is refolded from block totals when either end crosses a block boundary (window/len
// combines, twice per len rows). Every value is added within at most three pieces, so no error
// accumulates along the series, unlike pandas' running add-and-subtract.
template <class Agg, class Finish>
SEXTANT_INLINE void sliding(const Columns& cols, std::size_t window, const RollingOptions& opt, Finish&& finish,
                            const V8& scale = kOne) {
  const std::size_t rows = cols.x.rows, len = std::min(window, kMaxBlockRows);
  auto point = [&](std::size_t t) SEXTANT_INLINE_LAMBDA { return Agg::point(cols.load(t) * scale); };
  // 64-byte aligned whatever alignof(V8) was where std::vector got instantiated (16 without AVX).
  // Block totals only when windows span more than two blocks.
  std::vector<Agg, AlignedAllocator<Agg>> suffix(len), totals(window > len ? rows / len + 1 : 0);
  std::size_t suffix_block = SIZE_MAX, middle_from = SIZE_MAX, middle_to = SIZE_MAX;
  Agg prefix = Agg::empty(), middle = Agg::empty();
  for (std::size_t t = 0; t < rows; ++t) {
    if (opt.checkpoint && t % kCheckpointRows == 0) opt.checkpoint();
    const std::size_t bt = t / len;
    if (t % len == 0) prefix = Agg::empty();
    prefix = prefix + point(t);
    if (t % len == len - 1 && !totals.empty()) totals[bt] = prefix;
    // The window is rows [s, t]; when it starts in this block, s is the block's first row.
    const std::size_t s = t + 1 > window ? t + 1 - window : 0, bs = s / len;
    if (bs == bt) {
      finish(t, prefix);
      continue;
    }
    if (bs != suffix_block) {  // block bs is complete: bs < bt
      Agg acc = Agg::empty();
      for (std::size_t i = len; i-- > 0;) suffix[i] = acc = point(bs * len + i) + acc;
      suffix_block = bs;
    }
    if (bs != middle_from || bt != middle_to) {
      middle = Agg::empty();
      for (std::size_t k = bs + 1; k < bt; ++k) middle = middle + totals[k];
      middle_from = bs, middle_to = bt;
    }
    const Agg& head = suffix[s - bs * len];
    finish(t, bt > bs + 1 ? head + middle + prefix : head + prefix);
  }
}

// A power of two per column that brings its largest finite |value| into [0.5, 1): fourth powers of
// the scaled deviations stay finite (returns of 1e150 have a kurtosis), and skew and kurtosis do not
// change under exact scaling.
SEXTANT_INLINE V8 unit_scale(const Columns& cols) {
  V8 big = kZero;
  for (std::size_t t = 0; t < cols.x.rows; ++t) {
    const V8 v = cols.load(t), a = v < kZero ? -v : v;
    big = (a > big) & (a < kInf) ? a : big;  // NaN compares false
  }
  V8 scale = kOne;
  for (std::size_t c = 0; c < kLanes; ++c) {
    int e = 0;
    if (big[c] > 0) std::frexp(big[c], &e);
    scale[c] = std::ldexp(1.0, -e);
  }
  return scale;
}

SEXTANT_INLINE V8 lanewise_sqrt(const V8& v) {
  V8 r;
  for (std::size_t c = 0; c < kLanes; ++c) r[c] = std::sqrt(v[c]);
  return r;
}

// A column's window, in ascending order. Positions are found by counting (loops without branches
// that the compiler vectorises): at these lengths that beats a binary search's mispredicted
// branches. A row's leaving and entering values move only the entries between their two positions.
struct SortedWindow {
  std::vector<double> v;

  SEXTANT_INLINE std::size_t count_less(double x) const {
    std::size_t k = 0;
    for (double e : v) k += e < x;
    return k;
  }
  SEXTANT_INLINE std::size_t count_not_greater(double x) const {
    std::size_t k = 0;
    for (double e : v) k += e <= x;
    return k;
  }
  SEXTANT_INLINE void insert(double x) { v.insert(v.begin() + std::ptrdiff_t(count_not_greater(x)), x); }
  SEXTANT_INLINE void erase(double x) { v.erase(v.begin() + std::ptrdiff_t(count_less(x))); }
  // `old` (present) leaves and `now` enters; neither is NaN.
  SEXTANT_INLINE void replace(double old, double now) {
    const std::size_t i = count_less(old), j = count_not_greater(now);  // old sits at i
    if (j > i) {  // now goes after old: the entries between move down
      std::copy(v.begin() + std::ptrdiff_t(i + 1), v.begin() + std::ptrdiff_t(j), v.begin() + std::ptrdiff_t(i));
      v[j - 1] = now;
    } else {  // now goes at j, before old: the entries between move up
      std::copy_backward(v.begin() + std::ptrdiff_t(j), v.begin() + std::ptrdiff_t(i),
                         v.begin() + std::ptrdiff_t(i + 1));
      v[j] = now;
    }
  }
};

// median, quantile, rank: each column keeps its window sorted; O(window) per row at worst, by
// vector compares and one short move.
SEXTANT_INLINE void order_statistics(const Columns& cols, const RollingOptions& opt, std::size_t min_periods,
                                     Matrix& out) {
  SortedWindow sorted[kLanes];
  const double q = opt.stat == RollingStat::median ? 0.5 : opt.q;
  for (std::size_t t = 0; t < cols.x.rows; ++t) {
    if (opt.checkpoint && t % kCheckpointRows == 0) opt.checkpoint();
    for (std::size_t c = 0; c < cols.lanes; ++c) {
      SortedWindow& w = sorted[c];
      const std::size_t j = cols.j0 + c;
      const double old = t >= opt.window ? cols.x(t - opt.window, j) : kNaN, now = cols.x(t, j);
      if (!std::isnan(old) && !std::isnan(now))
        w.replace(old, now);
      else if (!std::isnan(old))
        w.erase(old);
      else if (!std::isnan(now))
        w.insert(now);
      double r = kNaN;
      if (w.v.size() >= min_periods && opt.stat != RollingStat::rank) {
        r = quantile_linear_sorted(w.v, q);
      } else if (w.v.size() >= min_periods && !std::isnan(now)) {  // the average 1-based rank among ties
        const std::size_t less = w.count_less(now);
        r = double(less) + (double(w.count_not_greater(now) - less) + 1) / 2.0;
      }
      out(t, j) = r;
    }
  }
}

SEXTANT_INLINE void ema(const Columns& cols, const RollingOptions& opt, std::size_t min_periods, Matrix& out) {
  const double alpha = 2.0 / (double(opt.window) + 1.0);
  V8 e = kNaNs, seen = kZero;
  for (std::size_t t = 0; t < cols.x.rows; ++t) {
    const V8 v = cols.load(t);
    e = v == v ? (seen == kZero ? v : alpha * v + (1.0 - alpha) * e) : e;
    seen += v == v ? kOne : kZero;
    cols.store(out, t, seen >= double(min_periods) ? e : kNaNs);
  }
}

SEXTANT_INLINE void rolling_columns(const Columns& cols, const RollingOptions& opt, std::size_t min_periods,
                                    Matrix& out) {
  const V8 enough = V8{} + double(min_periods);
  const std::size_t w = opt.window;
  switch (opt.stat) {
    case RollingStat::mean:
    case RollingStat::sum:
      return sliding<SumAgg>(cols, w, opt, [&](std::size_t t, const SumAgg& a) SEXTANT_INLINE_LAMBDA {
        const V8 v = opt.stat == RollingStat::sum ? a.s : a.s / a.n;
        cols.store(out, t, a.n >= enough ? v : kNaNs);
      });
    case RollingStat::min:
      return sliding<ExtremeAgg<false>>(cols, w, opt,
                                        [&](std::size_t t, const ExtremeAgg<false>& a)
                                            SEXTANT_INLINE_LAMBDA { cols.store(out, t, a.n >= enough ? a.m : kNaNs); });
    case RollingStat::max:
      return sliding<ExtremeAgg<true>>(cols, w, opt,
                                       [&](std::size_t t, const ExtremeAgg<true>& a)
                                           SEXTANT_INLINE_LAMBDA { cols.store(out, t, a.n >= enough ? a.m : kNaNs); });
    case RollingStat::var:
    case RollingStat::std:
    case RollingStat::zscore:  // ddof 1; zscore needs a positive variance
      return sliding<Moments2Agg>(cols, w, opt, [&](std::size_t t, const Moments2Agg& a) SEXTANT_INLINE_LAMBDA {
        const auto ok = (a.n >= enough) & (a.n >= 2.0) & (a.mean - a.mean == kZero);  // no ±Inf in the window
        const V8 var = a.m2 / (a.n - 1.0);
        V8 v = var;
        if (opt.stat == RollingStat::std) v = lanewise_sqrt(var);
        if (opt.stat == RollingStat::zscore) v = var > kZero ? (cols.load(t) - a.mean) / lanewise_sqrt(var) : kNaNs;
        cols.store(out, t, ok ? v : kNaNs);
      });
    case RollingStat::skew:
    case RollingStat::kurt: {
      const bool skew = opt.stat == RollingStat::skew;
      return sliding<Moments4Agg>(
          cols, w, opt,
          [&](std::size_t t, const Moments4Agg& a) SEXTANT_INLINE_LAMBDA {
            // g1 and g2 from the window's central sums, on all eight lanes at once, then
            // core/moments.hpp's adjustments (a scalar call per lane had taken most of the time).
            const V8 n = a.n, m2 = a.m2 / n;
            const auto ok = (n >= double(min_periods)) & (n >= (skew ? 3.0 : 4.0)) &
                            (a.mean - a.mean == kZero) & (m2 > kZero) & (m2 < kInf);
            const V8 v = skew ? adjusted_skew(a.m3 / n / (m2 * lanewise_sqrt(m2)), n, lanewise_sqrt(n * (n - 1.0)))
                              : adjusted_excess_kurtosis(a.m4 / n / (m2 * m2), n);
            cols.store(out, t, ok ? v : kNaNs);
          },
          unit_scale(cols));
    }
    case RollingStat::median:
    case RollingStat::quantile:
    case RollingStat::rank:
      return order_statistics(cols, opt, min_periods, out);
    case RollingStat::ema:
      return ema(cols, opt, min_periods, out);
  }
}

[[gnu::target("avx512f")]] void rolling_columns_avx512(const Columns& cols, const RollingOptions& opt,
                                                       std::size_t min_periods, Matrix& out) {
  rolling_columns(cols, opt, min_periods, out);
}
[[gnu::target("avx2")]] void rolling_columns_avx2(const Columns& cols, const RollingOptions& opt,
                                                  std::size_t min_periods, Matrix& out) {
  rolling_columns(cols, opt, min_periods, out);
}
void rolling_columns_baseline(const Columns& cols, const RollingOptions& opt, std::size_t min_periods, Matrix& out) {
  rolling_columns(cols, opt, min_periods, out);
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
  Matrix out = Matrix::uninitialized(x.rows, x.cols);  // every statistic writes every cell
  const std::size_t blocks = (x.cols + kLanes - 1) / kLanes;
  const auto kernel = __builtin_cpu_supports("avx512f") ? rolling_columns_avx512
                      : __builtin_cpu_supports("avx2")  ? rolling_columns_avx2
                                                        : rolling_columns_baseline;
  tbb::parallel_for(std::size_t(0), blocks, [&](std::size_t b) {
    kernel(Columns{x, b * kLanes, std::min(kLanes, x.cols - b * kLanes)}, opt, min_periods, out);
  });
  return out;
}

}  // namespace sextant::analytics
