// Hilbert-transform cycle indicators (Ehlers, as TA-Lib implements them): HT_DCPERIOD, HT_DCPHASE,
// HT_PHASOR, HT_SINE, HT_TRENDLINE, HT_TRENDMODE, MAMA; and the registration of SAREXT.
//
// One core walks the series from row 0: a 4-bar WMA of price, then Hilbert transforms computed
// separately on odd and even rows (three-slot rings per parity), in-phase and quadrature
// components smoothed 0.2/0.8, and the dominant cycle period from the phase rate, clamped and
// smoothed. Each function reads what it needs from the core's state after each row.
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"

namespace sextant::analytics::ta {
namespace {

constexpr double kA = 0.0962, kB = 0.5769;
const double kRad2Deg = 180.0 / (4.0 * std::atan(1.0));
const double kDeg2Rad = 1.0 / kRad2Deg;
const double kTwoPi = std::atan(1.0) * 8.0;
constexpr int kSmoothPriceSize = 50;

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

struct CycleCore {
  //! `warmup` rows only feed the price WMA before the transforms start: TA-Lib uses 9 in the
  //! 32-lookback functions and 34 in the 63-lookback ones.
  CycleCore(const double* x, int warmup) : x(x) {
    // The price WMA starts with its first three values; the trailing value enters from row 4 on.
    sub = x[0], sum = x[0];
    sub += x[1], sum += x[1] * 2.0;
    sub += x[2], sum += x[2] * 3.0;
    today = 3;
    for (int i = 0; i < warmup; ++i) smooth(x[today++]);
  }
  double smooth(double price) {
    sub += price;
    sub -= trailing_value;
    sum += price * 4.0;
    trailing_value = x[trailing_idx++];
    smoothed = sum * 0.1;
    sum -= sub;
    return smoothed;
  }
  //! Processes row `today` (the WMA, the transforms, the period) and advances. `phase_hook` runs
  //! between the quadrature transforms and the jI/jQ ones (HT_PHASOR reads I1 and Q1 there).
  template <class PhaseHook>
  void step(PhaseHook&& phase_hook) {
    const double adjusted = 0.075 * period + 0.54;
    today_value = x[today];
    smooth(today_value);
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
    if (period < 6) period = 6;
    else if (period > 50) period = 50;
    period = 0.2 * period + 0.8 * last;
    smooth_period = 0.33 * period + 0.67 * smooth_period;
  }
  void step() {
    step([](double, double) {});
  }

  const double* x;
  std::size_t today = 0, trailing_idx = 0;
  double sub = 0, sum = 0, trailing_value = 0, smoothed = 0, today_value = 0;
  int hilbert_idx = 0;
  Hilbert detrender, q1, ji, jq;
  double i1_odd_prev2 = 0, i1_odd_prev3 = 0, i1_even_prev2 = 0, i1_even_prev3 = 0, i1_prev3 = 0;
  double prev_i2 = 0, prev_q2 = 0, re = 0, im = 0, period = 0, smooth_period = 0;
};

int lb_32(const double*) { return 32; }
int lb_63(const double*) { return 63; }

void dcperiod_fn(const Inputs& in, const double*, double* const* out) {
  CycleCore c(in.real.data(), 9);
  for (; c.today < in.size(); ++c.today) {
    c.step();
    if (c.today >= 32) out[0][c.today] = c.smooth_period;
  }
}

void phasor_fn(const Inputs& in, const double*, double* const* out) {
  CycleCore c(in.real.data(), 9);
  for (; c.today < in.size(); ++c.today)
    c.step([&](double i1, double q1) {
      if (c.today >= 32) out[0][c.today] = i1, out[1][c.today] = q1;
    });
}

// The dominant-cycle phase over the last round(smooth_period) smoothed prices.
struct Phase {
  double smooth_price[kSmoothPriceSize] = {};
  int idx = 0;
  double dc_phase = 0;
  void update(const CycleCore& c) {
    const int dc_period = int(c.smooth_period + 0.5);
    double real = 0, imag = 0;
    int j = idx;
    for (int i = 0; i < dc_period; ++i) {
      const double angle = (double(i) * kTwoPi) / double(dc_period);
      real += std::sin(angle) * smooth_price[j];
      imag += std::cos(angle) * smooth_price[j];
      j = j == 0 ? kSmoothPriceSize - 1 : j - 1;
    }
    const double a = std::fabs(imag);
    if (a > 0.0) dc_phase = std::atan(real / imag) * kRad2Deg;
    else if (a <= 0.01) {
      if (real < 0.0) dc_phase -= 90.0;
      else if (real > 0.0) dc_phase += 90.0;
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
  double update(const double* x, std::size_t today, double smooth_period) {
    const int dc_period = int(smooth_period + 0.5);
    double mean = 0;
    for (int i = 0; i < dc_period; ++i) mean += x[today - i];
    if (dc_period > 0) mean /= double(dc_period);
    const double line = (4.0 * mean + 3.0 * i1 + 2.0 * i2 + i3) / 10.0;
    i3 = i2, i2 = i1, i1 = mean;
    return line;
  }
};

template <int Kind>  // 0 DCPHASE, 1 SINE, 2 TRENDMODE
void phase_family(const Inputs& in, const double*, double* const* out) {
  const double* x = in.real.data();
  CycleCore c(x, 34);
  Phase ph;
  Trend tr;
  double sine = 0, lead = 0, days_in_trend = 0;
  for (; c.today < in.size(); ++c.today) {
    c.step();
    ph.smooth_price[ph.idx] = c.smoothed;
    const double prev_phase = ph.dc_phase;
    ph.update(c);
    const double prev_sine = sine, prev_lead = lead;
    sine = std::sin(ph.dc_phase * kDeg2Rad);
    lead = std::sin((ph.dc_phase + 45.0) * kDeg2Rad);
    if (Kind == 2) {
      const double line = tr.update(x, c.today, c.smooth_period);
      int trend = 1;
      if ((sine > lead && prev_sine <= prev_lead) || (sine < lead && prev_sine >= prev_lead)) days_in_trend = 0, trend = 0;
      days_in_trend += 1;
      if (days_in_trend < 0.5 * c.smooth_period) trend = 0;
      const double dphase = ph.dc_phase - prev_phase;
      if (c.smooth_period != 0.0 && dphase > 0.67 * 360.0 / c.smooth_period && dphase < 1.5 * 360.0 / c.smooth_period)
        trend = 0;
      const double price = ph.smooth_price[ph.idx];
      if (line != 0.0 && std::fabs((price - line) / line) >= 0.015) trend = 1;
      if (c.today >= 63) out[0][c.today] = trend;
    } else if (c.today >= 63) {
      if (Kind == 0) out[0][c.today] = ph.dc_phase;
      else out[0][c.today] = sine, out[1][c.today] = lead;
    }
    if (++ph.idx > kSmoothPriceSize - 1) ph.idx = 0;
  }
}

void trendline_fn(const Inputs& in, const double*, double* const* out) {
  const double* x = in.real.data();
  CycleCore c(x, 34);
  Trend tr;
  for (; c.today < in.size(); ++c.today) {
    c.step();
    const double line = tr.update(x, c.today, c.smooth_period);
    if (c.today >= 63) out[0][c.today] = line;
  }
}

// MAMA / FAMA: an EMA whose alpha is fast_limit / (phase change), bounded below by slow_limit.
void mama_fn(const Inputs& in, const double* p, double* const* out) {
  const double fast = p[0], slow = p[1];
  CycleCore c(in.real.data(), 9);
  double prev_phase = 0, mama = 0, fama = 0;
  for (; c.today < in.size(); ++c.today) {
    double phase = 0;
    c.step([&](double i1, double q1) { phase = i1 != 0.0 ? std::atan(q1 / i1) * kRad2Deg : 0.0; });
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
    if (c.today >= 32) out[0][c.today] = mama, out[1][c.today] = fama;
  }
}

}  // namespace

void register_cycle(std::vector<FunctionDef>& fs) {
  const char* g = "Cycle Indicators";
  fs.push_back({"HT_DCPERIOD", g, {"real"}, {}, {"outReal"}, false, lb_32, dcperiod_fn});
  fs.push_back({"HT_DCPHASE", g, {"real"}, {}, {"outReal"}, false, lb_63, phase_family<0>});
  fs.push_back({"HT_PHASOR", g, {"real"}, {}, {"outInPhase", "outQuadrature"}, false, lb_32, phasor_fn});
  fs.push_back({"HT_SINE", g, {"real"}, {}, {"outSine", "outLeadSine"}, false, lb_63, phase_family<1>});
  fs.push_back({"HT_TRENDMODE", g, {"real"}, {}, {"outInteger"}, true, lb_63, phase_family<2>});
  const char* o = "Overlap Studies";
  fs.push_back({"HT_TRENDLINE", o, {"real"}, {}, {"outReal"}, false, lb_63, trendline_fn});
  fs.push_back({"MAMA", o, {"real"},
                {{"optInFastLimit", "fastlimit", 0.5, 0.01, 0.99, false}, {"optInSlowLimit", "slowlimit", 0.05, 0.01, 0.99, false}},
                {"outMAMA", "outFAMA"}, false, lb_32, mama_fn});
  fs.push_back({"SAREXT", o, {"high", "low"},
                {{"optInStartValue", "startvalue", 0, -3e37, 3e37, false},
                 {"optInOffsetOnReverse", "offsetonreverse", 0, 0, 3e37, false},
                 {"optInAccelerationInitLong", "accelerationinitlong", 0.02, 0, 3e37, false},
                 {"optInAccelerationLong", "accelerationlong", 0.02, 0, 3e37, false},
                 {"optInAccelerationMaxLong", "accelerationmaxlong", 0.2, 0, 3e37, false},
                 {"optInAccelerationInitShort", "accelerationinitshort", 0.02, 0, 3e37, false},
                 {"optInAccelerationShort", "accelerationshort", 0.02, 0, 3e37, false},
                 {"optInAccelerationMaxShort", "accelerationmaxshort", 0.2, 0, 3e37, false}},
                {"outReal"}, false, [](const double*) { return 1; },
                [](const Inputs& in, const double* p, double* const* out) {
                  k::parabolic_sar(in.high.data(), in.low.data(), in.size(), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                                   true, out[0]);
                }});
}

}  // namespace sextant::analytics::ta
