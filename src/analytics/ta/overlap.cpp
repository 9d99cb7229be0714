// Overlap studies: SMA, EMA, WMA, DEMA, TEMA, TRIMA, MA, BBANDS, MIDPOINT, MIDPRICE, ACCBANDS.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "sextant/core/error.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {

namespace k {

int ma_lookback(int period, int ma_type) {
  if (period <= 1) return 0;
  switch (ma_type) {
    case 0: case 1: case 2: case 5: return period - 1;
    case 3: return 2 * (period - 1);
    case 4: return 3 * (period - 1);
  }
  fail(ErrorCode::invalid_argument, "optInMAType",
       "MA type {} is not in this build (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA)", ma_type);
}

std::size_t moving_average(const double* x, std::size_t n, int period, int ma_type, std::size_t first, double* out) {
  const std::size_t start = first + std::size_t(ma_lookback(period, ma_type));
  if (start >= n) return n;
  if (period <= 1) {
    std::copy(x + first, x + n, out + first);
    return first;
  }
  switch (ma_type) {
    case 0: sma(x, n, period, first, out); break;
    case 1: ema_from(x, n, period, ema_k(period), first + period - 1, out); break;
    case 2: wma(x, n, period, first, out); break;
    case 3:
    case 4: {  // DEMA = 2e1 - e2, TEMA = 3e1 - 3e2 + e3, each EMA seeded on the previous one's output
      const double kk = ema_k(period);
      EmaFeed e1(period, kk), e2(period, kk), e3(period, kk);
      for (std::size_t t = first; t < n; ++t) {
        if (!e1.push(x[t]) || !e2.push(e1.value)) continue;
        if (ma_type == 3) out[t] = 2.0 * e1.value - e2.value;
        else if (e3.push(e2.value)) out[t] = 3.0 * e1.value - 3.0 * e2.value + e3.value;
      }
      break;
    }
    case 5: {  // TRIMA = SMA of SMA: odd p -> (p+1)/2 twice; even p -> p/2 then p/2+1
      int a = period % 2 ? (period + 1) / 2 : period / 2;
      int b = period % 2 ? a : a + 1;
      std::vector<double> s1(n);
      sma(x, n, a, first, s1.data());
      sma(s1.data(), n, b, first + a - 1, out);
      break;
    }
  }
  return start;
}

void moving_average_at(const double* x, std::size_t n, int period, int ma_type, std::size_t start, double* out) {
  if (start >= n) return;
  if (period > 1 && (ma_type == 1 || ma_type == 3 || ma_type == 4)) {
    const std::size_t depth = ma_type == 1 ? 1 : (ma_type == 3 ? 2 : 3), step = std::size_t(period - 1);
    const double kk = ema_k(period);
    std::vector<double> e[3];
    const double* in = x;
    for (std::size_t d = 0; d < depth; ++d) {  // each EMA starts so the last one starts on `start`
      e[d].assign(n, 0.0);
      ema_from(in, n, period, kk, start - (depth - 1 - d) * step, e[d].data());
      in = e[d].data();
    }
    for (std::size_t t = start; t < n; ++t)
      out[t] = depth == 1 ? e[0][t] : depth == 2 ? 2.0 * e[0][t] - e[1][t] : 3.0 * e[0][t] - 3.0 * e[1][t] + e[2][t];
    return;
  }
  std::vector<double> tmp(n);
  moving_average(x, n, period, ma_type, 0, tmp.data());
  std::copy(tmp.begin() + start, tmp.end(), out + start);
}

SarState::SarState(double start, double offset, double init_long, double step_long, double max_long,
                   double init_short, double step_short, double max_short, bool signed_short)
    : start(start), offset(offset), init_long(std::min(init_long, max_long)), step_long(std::min(step_long, max_long)),
      max_long(max_long), init_short(std::min(init_short, max_short)), step_short(std::min(step_short, max_short)),
      max_short(max_short), sign(signed_short ? -1.0 : 1.0) {}

void SarState::init(double high0, double low0, double high1, double low1) {
  if (start == 0.0) {
    const double up = high1 - high0, down = low0 - low1;
    is_long = !(down > 0 && up < down);
  } else {
    is_long = start > 0;
  }
  af_long = init_long, af_short = init_short;
  if (start == 0.0) {
    if (is_long) ep = high1, sar = low0;
    else ep = low1, sar = high0;
  } else if (start > 0) {
    ep = high1, sar = start;
  } else {
    ep = low1, sar = std::fabs(start);
  }
  new_low = low1, new_high = high1;
}

double SarState::step(double high, double low) {
  const double prev_low = new_low, prev_high = new_high;
  new_low = low, new_high = high;
  double out;
  if (is_long) {
    if (new_low <= sar) {
      is_long = false;
      sar = std::max({ep, prev_high, new_high});
      if (offset != 0.0) sar += sar * offset;
      out = sign * sar;
      af_short = init_short;
      ep = new_low;
      sar = std::max({sar + af_short * (ep - sar), prev_high, new_high});
    } else {
      out = sar;
      if (new_high > ep) ep = new_high, af_long = std::min(af_long + step_long, max_long);
      sar = std::min({sar + af_long * (ep - sar), prev_low, new_low});
    }
  } else {
    if (new_high >= sar) {
      is_long = true;
      sar = std::min({ep, prev_low, new_low});
      if (offset != 0.0) sar -= sar * offset;
      out = sar;
      af_long = init_long;
      ep = new_high;
      sar = std::min({sar + af_long * (ep - sar), prev_low, new_low});
    } else {
      out = sign * sar;
      if (new_low < ep) ep = new_low, af_short = std::min(af_short + step_short, max_short);
      sar = std::max({sar + af_short * (ep - sar), prev_high, new_high});
    }
  }
  return out;
}

void parabolic_sar(const double* high, const double* low, std::size_t n, double start, double offset, double init_long,
                   double step_long, double max_long, double init_short, double step_short, double max_short,
                   bool signed_short, double* out) {
  SarState s(start, offset, init_long, step_long, max_long, init_short, step_short, max_short, signed_short);
  s.init(high[0], low[0], high[1], low[1]);
  for (std::size_t t = 1; t < n; ++t) out[t] = s.step(high[t], low[t]);
}

}  // namespace k

namespace {

// KAMA (Kaufman): efficiency ratio |x_t - x_{t-p}| / Σ|Δx| over p, smoothing (ER·(2/3 - 2/31) + 2/31)².
void kama_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const double* x = in.real.data();
  const std::size_t n = in.size();
  const double const_max = 2.0 / (30.0 + 1.0), const_diff = 2.0 / (2.0 + 1.0) - const_max;
  double sum_roc = 0;
  std::size_t today = 0, trailing = 0;
  for (int i = 0; i < period; ++i, ++today) sum_roc += std::fabs(x[today] - x[today + 1]);
  double kama = x[today - 1], trailing_value = 0;
  bool first = true;
  for (; today < n; ++today) {
    const double v = x[today], old = x[trailing++];
    const double roc = v - old;
    if (!first) {
      sum_roc -= std::fabs(trailing_value - old);
      sum_roc += std::fabs(v - x[today - 1]);
    }
    first = false;
    trailing_value = old;
    double er = (sum_roc <= roc || k::is_zero(sum_roc)) ? 1.0 : std::fabs(roc / sum_roc);
    double sc = er * const_diff + const_max;
    sc *= sc;
    kama = (v - kama) * sc + kama;
    out[0][today] = kama;
  }
}

// T3 (Tillson): six chained EMAs (e = k·x + (1-k)·e), each seeded with the mean of its first `period`
// inputs, combined with the volume factor's coefficients.
int lb_t3(const double* p) { return 6 * (int(p[0]) - 1); }
void t3_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const double v = p[1], k = 2.0 / (period + 1.0), k1 = 1.0 - k;
  const double* x = in.real.data();
  const std::size_t n = in.size();
  std::size_t today = 0;
  double e[6];
  double s = 0;
  for (int i = 0; i < period; ++i) s += x[today++];
  e[0] = s / period;
  for (int level = 1; level < 6; ++level) {  // seed e[level] from `period` values of e[level-1]
    s = e[level - 1];
    for (int i = 1; i < period; ++i) {
      e[0] = k * x[today++] + k1 * e[0];
      for (int j = 1; j < level; ++j) e[j] = k * e[j - 1] + k1 * e[j];
      s += e[level - 1];
    }
    e[level] = s / period;
  }
  const double t2 = v * v, c1 = -t2 * v, c2 = 3.0 * (t2 - c1), c3 = -6.0 * t2 - 3.0 * (v - c1),
               c4 = 1.0 + 3.0 * v - c1 + 3.0 * t2;
  out[0][today - 1] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
  for (; today < n; ++today) {
    e[0] = k * x[today] + k1 * e[0];
    for (int j = 1; j < 6; ++j) e[j] = k * e[j - 1] + k1 * e[j];
    out[0][today] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
  }
}

void sar_fn(const Inputs& in, const double* p, double* const* out) {
  k::parabolic_sar(in.high.data(), in.low.data(), in.size(), 0.0, 0.0, p[0], p[0], p[1], p[0], p[0], p[1], false, out[0]);
}


int lb_period_minus_1(const double* p) { return std::max(0, int(p[0]) - 1); }

void sma_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 0, 0, out[0]); }
void ema_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 1, 0, out[0]); }
void wma_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 2, 0, out[0]); }
void dema_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 3, 0, out[0]); }
void tema_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 4, 0, out[0]); }
void trima_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), 5, 0, out[0]); }
void ma_fn(const Inputs& in, const double* p, double* const* out) { k::moving_average(in.real.data(), in.size(), int(p[0]), int(p[1]), 0, out[0]); }

int lb_dema(const double* p) { return k::ma_lookback(int(p[0]), 3); }
int lb_tema(const double* p) { return k::ma_lookback(int(p[0]), 4); }
int lb_ma(const double* p) { return k::ma_lookback(int(p[0]), int(p[1])); }

// BBANDS: middle = MA; bands = middle ± nbdev · population stddev over the same period.
int lb_bbands(const double* p) { return k::ma_lookback(int(p[0]), int(p[3])); }
// TA-Lib's bands: with an SMA middle, the deviation comes from a running sum of squares around the
// precomputed SMA (mean(x²) - sma²); with other MA types, from STDDEV over the same period.
void bbands_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  const int period = int(p[0]);
  const double* x = in.real.data();
  double *upper = out[0], *mid = out[1], *lower = out[2];
  const std::size_t start = k::moving_average(x, n, period, int(p[3]), 0, mid);
  if (start >= n) return;
  if (int(p[3]) == 0) {
    double total2 = 0;
    for (std::size_t i = start + 1 - period; i < start; ++i) total2 += x[i] * x[i];
    for (std::size_t t = start; t < n; ++t) {
      total2 += x[t] * x[t];
      double mean2 = total2 / period;
      const double old = x[t + 1 - period];
      total2 -= old * old;
      mean2 -= mid[t] * mid[t];
      const double sd = mean2 >= 0.00000001 ? std::sqrt(mean2) : 0.0;
      upper[t] = mid[t] + sd * p[1];
      lower[t] = mid[t] - sd * p[2];
    }
  } else {
    std::vector<double> var(n);
    k::running_var(x, n, period, var.data());
    for (std::size_t t = start; t < n; ++t) {
      const double sd = var[t] > 0.00000001 ? std::sqrt(var[t]) : 0.0;
      upper[t] = mid[t] + sd * p[1];
      lower[t] = mid[t] - sd * p[2];
    }
  }
}

void midpoint_fn(const Inputs& in, const double* p, double* const* out) {
  double hi, lo;
  for (std::size_t t = std::size_t(p[0]) - 1; t < in.size(); ++t) {
    k::window_high_low(in.real.data(), in.real.data(), t, int(p[0]), hi, lo);
    out[0][t] = (hi + lo) / 2.0;
  }
}

void midprice_fn(const Inputs& in, const double* p, double* const* out) {
  double hi, lo;
  for (std::size_t t = std::size_t(p[0]) - 1; t < in.size(); ++t) {
    k::window_high_low(in.high.data(), in.low.data(), t, int(p[0]), hi, lo);
    out[0][t] = (hi + lo) / 2.0;
  }
}

// ACCBANDS (Acceleration Bands): SMAs of high·(1 + 4(h-l)/(h+l)), close, low·(1 - 4(h-l)/(h+l)).
void accbands_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  const int period = int(p[0]);
  std::vector<double> up(n), dn(n);
  for (std::size_t t = 0; t < n; ++t) {
    double sum = in.high[t] + in.low[t];
    double f = k::is_zero(sum) ? 0.0 : 4.0 * (in.high[t] - in.low[t]) / sum;
    up[t] = in.high[t] * (1.0 + f);
    dn[t] = in.low[t] * (1.0 - f);
  }
  k::sma(up.data(), n, period, 0, out[0]);
  k::sma(in.close.data(), n, period, 0, out[1]);
  k::sma(dn.data(), n, period, 0, out[2]);
}

constexpr double kBig = 100000;
const ParamDef kPeriod30{"optInTimePeriod", "timeperiod", 30, 2, kBig, true};
const ParamDef kMaType{"optInMAType", "matype", 0, 0, 8, true};

}  // namespace

void register_overlap(std::vector<FunctionDef>& fs) {
  const char* g = "Overlap Studies";
  fs.push_back({"SMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_period_minus_1, sma_fn, streams::sma});
  fs.push_back({"EMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_period_minus_1, ema_fn, streams::ema});
  fs.push_back({"WMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_period_minus_1, wma_fn, streams::wma});
  fs.push_back({"DEMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_dema, dema_fn, streams::dema});
  fs.push_back({"TEMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_tema, tema_fn, streams::tema});
  fs.push_back({"TRIMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, lb_period_minus_1, trima_fn, streams::trima, finite_memory});
  fs.push_back({"MA", g, {"real"}, {{"optInTimePeriod", "timeperiod", 30, 1, kBig, true}, kMaType}, {"outReal"}, false,
                lb_ma, ma_fn, streams::ma, finite_memory});
  fs.push_back({"BBANDS", g, {"real"},
                {{"optInTimePeriod", "timeperiod", 5, 2, kBig, true},
                 {"optInNbDevUp", "nbdevup", 2, -3e37, 3e37, false},
                 {"optInNbDevDn", "nbdevdn", 2, -3e37, 3e37, false},
                 kMaType},
                {"outRealUpperBand", "outRealMiddleBand", "outRealLowerBand"}, false, lb_bbands, bbands_fn, streams::bbands});
  fs.push_back({"MIDPOINT", g, {"real"}, {{"optInTimePeriod", "timeperiod", 14, 2, kBig, true}}, {"outReal"}, false,
                lb_period_minus_1, midpoint_fn, streams::midpoint, finite_memory});
  fs.push_back({"MIDPRICE", g, {"high", "low"}, {{"optInTimePeriod", "timeperiod", 14, 2, kBig, true}}, {"outReal"},
                false, lb_period_minus_1, midprice_fn, streams::midprice, finite_memory, {"highlow", streams::highlow_set}});
  fs.push_back({"KAMA", g, {"real"}, {kPeriod30}, {"outReal"}, false, [](const double* p) { return int(p[0]); }, kama_fn, streams::kama});
  fs.push_back({"T3", g, {"real"},
                {{"optInTimePeriod", "timeperiod", 5, 2, kBig, true}, {"optInVFactor", "vfactor", 0.7, 0, 1, false}},
                {"outReal"}, false, lb_t3, t3_fn, streams::t3});
  fs.push_back({"SAR", g, {"high", "low"},
                {{"optInAcceleration", "acceleration", 0.02, 0, 3e37, false}, {"optInMaximum", "maximum", 0.2, 0, 3e37, false}},
                {"outReal"}, false, [](const double*) { return 1; }, sar_fn, streams::sar});
  fs.push_back({"ACCBANDS", g, {"high", "low", "close"}, {{"optInTimePeriod", "timeperiod", 20, 2, kBig, true}},
                {"outRealUpperBand", "outRealMiddleBand", "outRealLowerBand"}, false, lb_period_minus_1, accbands_fn, nullptr, finite_memory});
}

}  // namespace sextant::analytics::ta
