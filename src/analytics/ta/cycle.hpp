#pragma once
// Hilbert-transform cycle indicators (Ehlers, as TA-Lib implements them) as per-row state machines:
// HT_DCPERIOD, HT_DCPHASE, HT_PHASOR, HT_SINE, HT_TRENDLINE, HT_TRENDMODE, MAMA. The batch kernels
// (cycle.cpp) and the streams (stream.cpp) run the same row() on each row in turn, so a stream's
// value is the batch value by construction, in O(1) per bar.
//
// One core walks the series from row 0: a 4-bar WMA of price, then Hilbert transforms computed
// separately on odd and even rows (three-slot rings per parity), in-phase and quadrature
// components smoothed 0.2/0.8, and the dominant cycle period from the phase rate, clamped and
// smoothed. Each function reads what it needs from the core's state after each row.
//
// `Series` is anything with operator[](row): a pointer for batch, a ring of the last 64 prices for a
// stream. A row reads at most 50 rows back (the trendline's mean over the dominant cycle period,
// which is clamped to [6, 50]).
#include <cmath>
#include <cstddef>

namespace sextant::analytics::ta::cycle {

inline constexpr double kA = 0.0962, kB = 0.5769;
inline const double kRad2Deg = 180.0 / (4.0 * std::atan(1.0));
inline const double kDeg2Rad = 1.0 / kRad2Deg;
inline const double kTwoPi = std::atan(1.0) * 8.0;
inline constexpr int kSmoothPriceSize = 50;
inline constexpr std::size_t kHistory = 64;  //!< rows a stream keeps (a power of two above 50)

// One Hilbert transform with separate state for odd and even rows.
struct Hilbert {
  double odd[3] = {0, 0, 0}, even[3] = {0, 0, 0};
  double value = 0, prev_odd = 0, prev_even = 0, prev_input_odd = 0, prev_input_even = 0;
  void step(double input, bool is_even, int idx, double adjusted_prev_period) {
    double* ring = is_even ? even : odd;
    double& prev = is_even ? prev_even : prev_odd;
    double& prev_input = is_even ? prev_input_even : prev_input_odd;
    const double t = kA * input;
    value = -ring[idx];
    ring[idx] = t;
    value += t;
    value -= prev;
    prev = kB * prev_input;
    value += prev;
    prev_input = input;
    value *= adjusted_prev_period;
  }
};

struct Core {
  //! `warmup` rows (after the first three) only feed the price WMA before the transforms start:
  //! TA-Lib uses 9 in the 32-lookback functions and 34 in the 63-lookback ones.
  explicit Core(int warmup) : warmup(std::size_t(warmup)) {}

  //! Row t (x[t] and the rows before it readable). Returns true when the row ran the transforms.
  //! `phase_hook(i1, q1)` runs between the quadrature transforms and the jI/jQ ones.
  template <class Series, class PhaseHook>
  bool feed(const Series& x, std::size_t t, PhaseHook&& phase_hook) {
    if (t < 3) {  // the price WMA starts with its first three values
      sub += x[t];
      sum += x[t] * double(t + 1);
      return false;
    }
    today = t;
    today_value = x[t];
    smooth(x, today_value);
    if (t < 3 + warmup) return false;
    transforms(phase_hook);
    return true;
  }
  template <class Series>
  bool feed(const Series& x, std::size_t t) {
    return feed(x, t, [](double, double) {});
  }

  std::size_t warmup, today = 0, trailing_idx = 0;
  double sub = 0, sum = 0, trailing_value = 0, smoothed = 0, today_value = 0;
  int hilbert_idx = 0;
  Hilbert detrender, q1, ji, jq;
  double i1_odd_prev2 = 0, i1_odd_prev3 = 0, i1_even_prev2 = 0, i1_even_prev3 = 0, i1_prev3 = 0;
  double prev_i2 = 0, prev_q2 = 0, re = 0, im = 0, period = 0, smooth_period = 0;

 private:
  // The trailing value enters the WMA from row 4 on.
  template <class Series>
  void smooth(const Series& x, double price) {
    sub += price;
    sub -= trailing_value;
    sum += price * 4.0;
    trailing_value = x[trailing_idx++];
    smoothed = sum * 0.1;
    sum -= sub;
  }
  template <class PhaseHook>
  void transforms(PhaseHook&& phase_hook) {
    const double adjusted = 0.075 * period + 0.54;
    const bool is_even = today % 2 == 0;
    detrender.step(smoothed, is_even, hilbert_idx, adjusted);
    q1.step(detrender.value, is_even, hilbert_idx, adjusted);
    i1_prev3 = is_even ? i1_even_prev3 : i1_odd_prev3;
    phase_hook(i1_prev3, q1.value);
    ji.step(i1_prev3, is_even, hilbert_idx, adjusted);
    jq.step(q1.value, is_even, hilbert_idx, adjusted);
    if (is_even && ++hilbert_idx == 3) hilbert_idx = 0;
    const double q2 = 0.2 * (q1.value + ji.value) + 0.8 * prev_q2;
    const double i2 = 0.2 * (i1_prev3 - jq.value) + 0.8 * prev_i2;
    if (is_even) {
      i1_odd_prev3 = i1_odd_prev2;
      i1_odd_prev2 = detrender.value;
    } else {
      i1_even_prev3 = i1_even_prev2;
      i1_even_prev2 = detrender.value;
    }
    re = 0.2 * (i2 * prev_i2 + q2 * prev_q2) + 0.8 * re;
    im = 0.2 * (i2 * prev_q2 - q2 * prev_i2) + 0.8 * im;
    prev_q2 = q2;
    prev_i2 = i2;
    const double last = period;
    if (im != 0.0 && re != 0.0) period = 360.0 / (std::atan(im / re) * kRad2Deg);
    if (period > 1.5 * last) period = 1.5 * last;
    if (period < 0.67 * last) period = 0.67 * last;
    if (period < 6)
      period = 6;
    else if (period > 50)
      period = 50;
    period = 0.2 * period + 0.8 * last;
    smooth_period = 0.33 * period + 0.67 * smooth_period;
  }
};

// sin and cos of (i·2π)/p for every period p the phase can use (the smoothed period stays within
// [0, 50]) and i < p, from the expression the phase loop evaluated per row: the same doubles, once.
struct PhaseTable {
  double sin[kSmoothPriceSize + 1][kSmoothPriceSize] = {}, cos[kSmoothPriceSize + 1][kSmoothPriceSize] = {};
  PhaseTable() {
    for (int p = 1; p <= kSmoothPriceSize; ++p)
      for (int i = 0; i < p; ++i) {
        const double angle = (double(i) * kTwoPi) / double(p);
        sin[p][i] = std::sin(angle), cos[p][i] = std::cos(angle);
      }
  }
};
inline const PhaseTable& phase_table() {
  static const PhaseTable table;
  return table;
}

// The dominant-cycle phase over the last round(smooth_period) smoothed prices.
struct Phase {
  double smooth_price[kSmoothPriceSize] = {};
  int idx = 0;
  double dc_phase = 0;
  void update(const Core& c) {
    const int dc_period = int(c.smooth_period + 0.5);
    double real = 0, imag = 0;
    int j = idx;
    const PhaseTable& table = phase_table();
    for (int i = 0; i < dc_period; ++i) {
      double sin_i, cos_i;
      if (dc_period <= kSmoothPriceSize) {
        sin_i = table.sin[dc_period][i], cos_i = table.cos[dc_period][i];
      } else {  // not reached (see PhaseTable); computed as the table is, to be safe
        const double angle = (double(i) * kTwoPi) / double(dc_period);
        sin_i = std::sin(angle), cos_i = std::cos(angle);
      }
      real += sin_i * smooth_price[j];
      imag += cos_i * smooth_price[j];
      j = j == 0 ? kSmoothPriceSize - 1 : j - 1;
    }
    const double a = std::fabs(imag);
    if (a > 0.0)
      dc_phase = std::atan(real / imag) * kRad2Deg;
    else if (a <= 0.01) {
      if (real < 0.0)
        dc_phase -= 90.0;
      else if (real > 0.0)
        dc_phase += 90.0;
    }
    dc_phase += 90.0;
    dc_phase += 360.0 / c.smooth_period;
    if (imag < 0.0) dc_phase += 180.0;
    if (dc_phase > 315.0) dc_phase -= 360.0;
  }
};

// Trendline: the mean of the last round(smooth_period) prices, then a 4-3-2-1 weighted average.
struct Trend {
  double i1 = 0, i2 = 0, i3 = 0;
  template <class Series>
  double update(const Series& x, std::size_t today, double smooth_period) {
    const int dc_period = int(smooth_period + 0.5);
    double mean = 0;
    for (int i = 0; i < dc_period; ++i) mean += x[today - std::size_t(i)];
    if (dc_period > 0) mean /= double(dc_period);
    const double line = (4.0 * mean + 3.0 * i1 + 2.0 * i2 + i3) / 10.0;
    i3 = i2, i2 = i1, i1 = mean;
    return line;
  }
};

// Each function: row(x, t, emit) processes row t and calls emit(output, value) for the outputs it
// has at that row (none before its lookback).

struct DcPeriod {
  static constexpr int kLookback = 32;
  explicit DcPeriod(const double*) {}
  template <class Series, class Emit>
  void row(const Series& x, std::size_t t, Emit&& emit) {
    if (c.feed(x, t) && t >= kLookback) emit(0, c.smooth_period);
  }
  Core c{9};
};

struct Phasor {
  static constexpr int kLookback = 32;
  explicit Phasor(const double*) {}
  template <class Series, class Emit>
  void row(const Series& x, std::size_t t, Emit&& emit) {
    c.feed(x, t, [&](double i1, double q1) {
      if (t >= kLookback) emit(0, i1), emit(1, q1);
    });
  }
  Core c{9};
};

enum class PhaseKind { dc_phase, sine, trend_mode };

template <PhaseKind Kind>
struct PhaseFamily {
  static constexpr int kLookback = 63;
  explicit PhaseFamily(const double*) {}
  template <class Series, class Emit>
  void row(const Series& x, std::size_t t, Emit&& emit) {
    if (!c.feed(x, t)) return;
    ph.smooth_price[ph.idx] = c.smoothed;
    const double prev_phase = ph.dc_phase;
    ph.update(c);
    const double prev_sine = sine, prev_lead = lead;
    sine = std::sin(ph.dc_phase * kDeg2Rad);
    lead = std::sin((ph.dc_phase + 45.0) * kDeg2Rad);
    if constexpr (Kind == PhaseKind::trend_mode) {
      const double line = tr.update(x, t, c.smooth_period);
      int trend = 1;
      if ((sine > lead && prev_sine <= prev_lead) || (sine < lead && prev_sine >= prev_lead))
        days_in_trend = 0, trend = 0;
      days_in_trend += 1;
      if (days_in_trend < 0.5 * c.smooth_period) trend = 0;
      const double dphase = ph.dc_phase - prev_phase;
      if (c.smooth_period != 0.0 && dphase > 0.67 * 360.0 / c.smooth_period && dphase < 1.5 * 360.0 / c.smooth_period)
        trend = 0;
      const double price = ph.smooth_price[ph.idx];
      if (line != 0.0 && std::fabs((price - line) / line) >= 0.015) trend = 1;
      if (t >= kLookback) emit(0, trend);
    } else if (t >= kLookback) {
      if constexpr (Kind == PhaseKind::dc_phase)
        emit(0, ph.dc_phase);
      else
        emit(0, sine), emit(1, lead);
    }
    if (++ph.idx > kSmoothPriceSize - 1) ph.idx = 0;
  }
  Core c{34};
  Phase ph;
  Trend tr;
  double sine = 0, lead = 0, days_in_trend = 0;
};

struct Trendline {
  static constexpr int kLookback = 63;
  explicit Trendline(const double*) {}
  template <class Series, class Emit>
  void row(const Series& x, std::size_t t, Emit&& emit) {
    if (!c.feed(x, t)) return;
    const double line = tr.update(x, t, c.smooth_period);
    if (t >= kLookback) emit(0, line);
  }
  Core c{34};
  Trend tr;
};

// MAMA / FAMA: an EMA whose alpha is fast_limit / (phase change), bounded below by slow_limit.
struct Mama {
  static constexpr int kLookback = 32;
  explicit Mama(const double* p) : fast(p[0]), slow(p[1]) {}
  template <class Series, class Emit>
  void row(const Series& x, std::size_t t, Emit&& emit) {
    double phase = 0;
    if (!c.feed(x, t, [&](double i1, double q1) { phase = i1 != 0.0 ? std::atan(q1 / i1) * kRad2Deg : 0.0; })) return;
    double delta = prev_phase - phase;
    prev_phase = phase;
    if (delta < 1.0) delta = 1.0;
    double alpha = fast;
    if (delta > 1.0) {
      alpha = fast / delta;
      if (alpha < slow) alpha = slow;
    }
    mama = alpha * c.today_value + (1.0 - alpha) * mama;
    alpha *= 0.5;
    fama = alpha * mama + (1.0 - alpha) * fama;
    if (t >= kLookback) emit(0, mama), emit(1, fama);
  }
  Core c{9};
  double fast, slow, prev_phase = 0, mama = 0, fama = 0;
};

}  // namespace sextant::analytics::ta::cycle
