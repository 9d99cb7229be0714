// Momentum indicators. Each follows TA-Lib's algorithm step by step (seeding, smoothing, ties).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

constexpr double kBig = 100000;
ParamDef period(double def, double min = 2) { return {"optInTimePeriod", "timeperiod", def, min, kBig, true}; }

int lb_period(const double* p) { return int(p[0]); }
int lb_period_minus_1(const double* p) { return std::max(0, int(p[0]) - 1); }

// ---- rate of change family: x_t against x_{t-period} -----------------------------------------------
template <int Kind>
void roc_family(const Inputs& in, const double* p, double* const* out) {
  const int n_back = int(p[0]);
  const double* x = in.real.data();
  double* o = out[0];
  for (std::size_t t = n_back, n = in.size(); t < n; ++t) {
    double prev = x[t - n_back], v = x[t];
    double r;
    if (Kind == 0) r = v - prev;                                 // MOM
    else if (Kind == 1) r = prev != 0.0 ? (v / prev - 1.0) * 100.0 : 0.0;  // ROC
    else if (Kind == 2) r = prev != 0.0 ? (v - prev) / prev : 0.0;       // ROCP
    else if (Kind == 3) r = prev != 0.0 ? v / prev : 0.0;                 // ROCR
    else r = prev != 0.0 ? (v / prev) * 100.0 : 0.0;                      // ROCR100
    o[t] = r;
  }
}

// ---- RSI and CMO: Wilder-smoothed average gain and loss --------------------------------------------
template <bool Cmo>
void rsi_like(const double* x, std::size_t n, int period, std::size_t first, double* out) {
  if (first + period >= n) return;
  double gain = 0, loss = 0, prev = x[first];
  std::size_t today = first;
  for (int i = 0; i < period; ++i) {
    double v = x[++today], d = v - prev;
    prev = v;
    if (d < 0) loss -= d;
    else gain += d;
  }
  gain /= period;
  loss /= period;
  auto emit = [&](std::size_t t) {
    double s = gain + loss;
    out[t] = k::is_zero(s) ? 0.0 : (Cmo ? 100.0 * ((gain - loss) / s) : 100.0 * (gain / s));
  };
  emit(today);
  while (today + 1 < n) {
    double v = x[++today], d = v - prev;
    prev = v;
    gain *= (period - 1);
    loss *= (period - 1);
    if (d < 0) loss -= d;
    else gain += d;
    gain /= period;
    loss /= period;
    emit(today);
  }
}
void rsi_fn(const Inputs& in, const double* p, double* const* out) { rsi_like<false>(in.real.data(), in.size(), int(p[0]), 0, out[0]); }
void cmo_fn(const Inputs& in, const double* p, double* const* out) { rsi_like<true>(in.real.data(), in.size(), int(p[0]), 0, out[0]); }

// ---- MACD -----------------------------------------------------------------------------------------
// TA-Lib seeds BOTH EMAs so their first values fall on the slow EMA's first row: the fast EMA's seed
// is the SMA of the `fast` values ending there, not of the first `fast` values.
void macd_core(const double* x, std::size_t n, int fast, int slow, int signal, double kf, double ks, double* macd,
               double* sig, double* hist) {
  if (slow < fast) std::swap(slow, fast), std::swap(kf, ks);
  const std::size_t start = std::size_t(slow - 1);
  if (start >= n) return;
  double ef = 0, es = 0;
  for (std::size_t i = start + 1 - fast; i <= start; ++i) ef += x[i];
  for (std::size_t i = 0; i <= start; ++i) es += x[i];
  ef /= fast;
  es /= slow;
  k::EmaFeed s(signal, k::ema_k(signal));
  for (std::size_t t = start; t < n; ++t) {
    if (t > start) {
      ef = (x[t] - ef) * kf + ef;
      es = (x[t] - es) * ks + es;
    }
    const double line = ef - es;
    if (!s.push(line)) continue;
    macd[t] = line;
    sig[t] = s.value;
    hist[t] = line - s.value;
  }
}
int lb_macd(const double* p) { return std::max(int(p[0]), int(p[1])) - 1 + int(p[2]) - 1; }
void macd_fn(const Inputs& in, const double* p, double* const* out) {
  macd_core(in.real.data(), in.size(), int(p[0]), int(p[1]), int(p[2]), k::ema_k(int(p[0])), k::ema_k(int(p[1])),
            out[0], out[1], out[2]);
}
// MACDEXT: MACD with a moving-average type per line; TA_MA's late seeding (moving_average_at).
int lb_macdext(const double* p) {
  int fast = int(p[0]), slow = int(p[2]);
  int fast_t = int(p[1]), slow_t = int(p[3]);
  int largest = std::max(k::ma_lookback(fast, fast_t), k::ma_lookback(slow, slow_t));
  return largest + k::ma_lookback(int(p[4]), int(p[5]));
}
void macdext_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  const std::size_t signal_lb = std::size_t(k::ma_lookback(int(p[4]), int(p[5])));
  const std::size_t start = std::size_t(lb_macdext(p)) - signal_lb;  // first row of the MACD line
  std::vector<double> f(n), s(n), line(n), sig(n);
  k::moving_average_at(in.real.data(), n, int(p[0]), int(p[1]), start, f.data());
  k::moving_average_at(in.real.data(), n, int(p[2]), int(p[3]), start, s.data());
  for (std::size_t t = start; t < n; ++t) line[t] = f[t] - s[t];
  k::moving_average_at(line.data() + start, n - start, int(p[4]), int(p[5]), signal_lb, sig.data() + start);
  for (std::size_t t = start + signal_lb; t < n; ++t) {
    out[0][t] = line[t];
    out[1][t] = sig[t];
    out[2][t] = line[t] - sig[t];
  }
}

int lb_macdfix(const double* p) { return 26 - 1 + int(p[0]) - 1; }
void macdfix_fn(const Inputs& in, const double* p, double* const* out) {
  macd_core(in.real.data(), in.size(), 12, 26, int(p[0]), 0.15, 0.075, out[0], out[1], out[2]);
}

// ---- APO / PPO: difference (or percentage) of two moving averages ----------------------------------
int lb_po(const double* p) { return k::ma_lookback(std::max(int(p[0]), int(p[1])), int(p[2])); }
template <bool Percent>
void po_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  int fast = int(p[0]), slow = int(p[1]);
  if (slow < fast) std::swap(fast, slow);
  std::vector<double> f(n), s(n);
  const int ma = int(p[2]);
  const std::size_t start = std::size_t(k::ma_lookback(slow, ma));
  if (ma == 1) {  // EMA pair: seeded like MACD, both starting on the slow one's first row
    k::ema_from(in.real.data(), n, fast, k::ema_k(fast), start, f.data());
    k::ema_from(in.real.data(), n, slow, k::ema_k(slow), start, s.data());
  } else {
    k::moving_average(in.real.data(), n, fast, ma, 0, f.data());
    k::moving_average(in.real.data(), n, slow, ma, 0, s.data());
  }
  for (std::size_t t = start; t < n; ++t) {
    double d = f[t] - s[t];
    out[0][t] = Percent ? (k::is_zero(s[t]) ? 0.0 : d / s[t] * 100.0) : d;
  }
}

// ---- TRIX: 1-period rate of change of a triple EMA ---------------------------------------------------
int lb_trix(const double* p) { return 3 * (int(p[0]) - 1) + 1; }
void trix_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  const int period = int(p[0]);
  const double kk = k::ema_k(period);
  std::vector<double> e1(n), e2(n), e3(n);
  k::ema_from(in.real.data(), n, period, kk, period - 1, e1.data());
  k::ema_from(e1.data(), n, period, kk, 2 * (period - 1), e2.data());
  k::ema_from(e2.data(), n, period, kk, 3 * (period - 1), e3.data());
  for (std::size_t t = 3 * (period - 1) + 1; t < n; ++t)
    out[0][t] = e3[t - 1] != 0.0 ? (e3[t] / e3[t - 1] - 1.0) * 100.0 : 0.0;
}

void bop_fn(const Inputs& in, const double* p, double* const* out) {
  for (std::size_t t = 0; t < in.size(); ++t) {
    double r = in.high[t] - in.low[t];
    out[0][t] = k::is_zero(r) ? 0.0 : (in.close[t] - in.open[t]) / r;
  }
}

void cci_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const std::size_t n = in.size();
  std::vector<double> tp(n);
  for (std::size_t t = 0; t < n; ++t) tp[t] = (in.high[t] + in.low[t] + in.close[t]) / 3.0;
  for (std::size_t t = period - 1; t < n; ++t) {
    double s = 0;
    for (int i = 0; i < period; ++i) s += tp[t - i];
    double mean = s / period, dev = 0;
    for (int i = 0; i < period; ++i) dev += std::fabs(tp[t - i] - mean);
    double diff = tp[t] - mean;
    out[0][t] = (diff != 0.0 && dev != 0.0) ? diff / (0.015 * (dev / period)) : 0.0;
  }
}

void willr_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  double hi, lo;
  for (std::size_t t = period - 1; t < in.size(); ++t) {
    k::window_high_low(in.high.data(), in.low.data(), t, period, hi, lo);
    double d = (hi - lo) / -100.0;
    out[0][t] = d != 0.0 ? (hi - in.close[t]) / d : 0.0;
  }
}

// AROON over period+1 bars; on ties the most recent extreme wins (TA-Lib's >= / <=).
// The extremes are kept incrementally: a new bar at or beyond the extreme takes over, and the
// window is rescanned (oldest to newest) only when the extreme drops out of it.
void aroon_core(const Inputs& in, int period, double* down, double* up) {
  const double factor = 100.0 / period;
  const double *high = in.high.data(), *low = in.low.data();
  std::size_t hi_i = 0, lo_i = 0;
  bool have = false;
  for (std::size_t t = period; t < in.size(); ++t) {
    const std::size_t trail = t - period;
    if (!have || hi_i < trail) {
      hi_i = trail;
      for (std::size_t i = trail + 1; i <= t; ++i)
        if (high[i] >= high[hi_i]) hi_i = i;
    } else if (high[t] >= high[hi_i]) {
      hi_i = t;
    }
    if (!have || lo_i < trail) {
      lo_i = trail;
      for (std::size_t i = trail + 1; i <= t; ++i)
        if (low[i] <= low[lo_i]) lo_i = i;
    } else if (low[t] <= low[lo_i]) {
      lo_i = t;
    }
    have = true;
    down[t] = factor * double(period - int(t - lo_i));
    up[t] = factor * double(period - int(t - hi_i));
  }
}
void aroon_fn(const Inputs& in, const double* p, double* const* out) { aroon_core(in, int(p[0]), out[0], out[1]); }
void aroonosc_fn(const Inputs& in, const double* p, double* const* out) {
  std::vector<double> d(in.size()), u(in.size());
  aroon_core(in, int(p[0]), d.data(), u.data());
  for (std::size_t t = int(p[0]); t < in.size(); ++t) out[0][t] = u[t] - d[t];
}

// ---- stochastics ------------------------------------------------------------------------------------
void fast_k(const double* high, const double* low, const double* close, std::size_t n, int period, double* k_out) {
  double hi, lo;
  for (std::size_t t = period - 1; t < n; ++t) {
    k::window_high_low(high, low, t, period, hi, lo);
    double d = hi - lo;
    k_out[t] = d != 0.0 ? (close[t] - lo) / d * 100.0 : 0.0;
  }
}
int lb_stoch(const double* p) {
  return int(p[0]) - 1 + k::ma_lookback(int(p[1]), int(p[2])) + k::ma_lookback(int(p[3]), int(p[4]));
}
void stoch_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  std::vector<double> fk(n), sk(n);
  fast_k(in.high.data(), in.low.data(), in.close.data(), n, int(p[0]), fk.data());
  std::size_t s1 = k::moving_average(fk.data(), n, int(p[1]), int(p[2]), int(p[0]) - 1, sk.data());
  std::size_t s2 = k::moving_average(sk.data(), n, int(p[3]), int(p[4]), s1, out[1]);
  for (std::size_t t = s2; t < n; ++t) out[0][t] = sk[t];
}
int lb_stochf(const double* p) { return int(p[0]) - 1 + k::ma_lookback(int(p[1]), int(p[2])); }
void stochf_on(const double* high, const double* low, const double* close, std::size_t n, std::size_t first,
               const double* p, double* const* out) {
  std::vector<double> fk(n);
  fast_k(high + first, low + first, close + first, n - first, int(p[0]), fk.data() + first);
  std::size_t s = k::moving_average(fk.data(), n, int(p[1]), int(p[2]), first + int(p[0]) - 1, out[1]);
  for (std::size_t t = s; t < n; ++t) out[0][t] = fk[t];
}
void stochf_fn(const Inputs& in, const double* p, double* const* out) {
  stochf_on(in.high.data(), in.low.data(), in.close.data(), in.size(), 0, p, out);
}
int lb_stochrsi(const double* p) { return int(p[0]) + lb_stochf(p + 1); }
void stochrsi_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  std::vector<double> r(n);
  rsi_like<false>(in.real.data(), n, int(p[0]), 0, r.data());
  stochf_on(r.data(), r.data(), r.data(), n, std::size_t(p[0]), p + 1, out);
}

void mfi_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const std::size_t n = in.size();
  std::vector<double> pos(n, 0.0), neg(n, 0.0);
  double prev = (in.high[0] + in.low[0] + in.close[0]) / 3.0;
  for (std::size_t t = 1; t < n; ++t) {
    double tp = (in.high[t] + in.low[t] + in.close[t]) / 3.0;
    double flow = tp * in.volume[t];
    if (tp > prev) pos[t] = flow;
    else if (tp < prev) neg[t] = flow;
    prev = tp;
  }
  // Running sums (TA-Lib's): add the new flow, emit, then drop the flow leaving the window.
  double ps = 0, ns = 0;
  for (std::size_t t = 1; t < n; ++t) {
    ps += pos[t];
    ns += neg[t];
    if (t < std::size_t(period)) continue;
    double total = ps + ns;
    out[0][t] = total < 1.0 ? 0.0 : 100.0 * (ps / total);
    ps -= pos[t + 1 - period];
    ns -= neg[t + 1 - period];
  }
}

void imi_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  for (std::size_t t = period - 1; t < in.size(); ++t) {
    double up = 0, down = 0;
    for (int i = 0; i < period; ++i) {
      double d = in.close[t - i] - in.open[t - i];
      if (d > 0) up += d;
      else down -= d;
    }
    out[0][t] = (up + down) != 0.0 ? 100.0 * (up / (up + down)) : 0.0;
  }
}

// ---- directional movement: +DM/-DM, +DI/-DI, DX, ADX, ADXR (Wilder) --------------------------------
struct Dm {
  double plus, minus;
};
Dm dm(const Inputs& in, std::size_t t) {
  double up = in.high[t] - in.high[t - 1], down = in.low[t - 1] - in.low[t];
  return {(up > 0 && up > down) ? up : 0.0, (down > 0 && down > up) ? down : 0.0};
}

template <bool Plus>
void dm_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const std::size_t n = in.size();
  if (period <= 1) {
    for (std::size_t t = 1; t < n; ++t) out[0][t] = Plus ? dm(in, t).plus : dm(in, t).minus;
    return;
  }
  double s = 0;
  std::size_t t = 0;
  for (int i = 0; i < period - 1; ++i) {
    ++t;
    s += Plus ? dm(in, t).plus : dm(in, t).minus;
  }
  out[0][t] = s;
  while (++t < n) {
    s = s - s / period + (Plus ? dm(in, t).plus : dm(in, t).minus);
    out[0][t] = s;
  }
}
int lb_dm(const double* p) { return int(p[0]) > 1 ? int(p[0]) - 1 : 1; }

// Walks the smoothed +DM, -DM and TR; calls emit(t, plus_dm, minus_dm, tr) from row `period` on.
template <class Emit>
void smoothed_dm(const Inputs& in, int period, Emit&& emit) {
  const std::size_t n = in.size();
  const double *high = in.high.data(), *low = in.low.data(), *close = in.close.data();
  double sp = 0, sm = 0, str = 0;
  for (std::size_t t = 1; t < n; ++t) {
    const double up = high[t] - high[t - 1], down = low[t - 1] - low[t];
    const double plus = (up > 0 && up > down) ? up : 0.0, minus = (down > 0 && down > up) ? down : 0.0;
    const double tr = k::true_range(high[t], low[t], close[t - 1]);
    if (t < std::size_t(period)) {
      sp += plus, sm += minus, str += tr;
      continue;
    }
    sp = sp - sp / period + plus;
    sm = sm - sm / period + minus;
    str = str - str / period + tr;
    emit(t, sp, sm, str);
  }
}

template <bool Plus>
void di_fn(const Inputs& in, const double* p, double* const* out) {
  smoothed_dm(in, int(p[0]), [&](std::size_t t, double sp, double sm, double tr) {
    out[0][t] = k::is_zero(tr) ? 0.0 : 100.0 * ((Plus ? sp : sm) / tr);
  });
}

double dx_of(double sp, double sm, double tr, double previous) {
  if (k::is_zero(tr)) return previous;
  double minus = 100.0 * (sm / tr), plus = 100.0 * (sp / tr), sum = minus + plus;
  return k::is_zero(sum) ? previous : 100.0 * (std::fabs(minus - plus) / sum);
}

void dx_fn(const Inputs& in, const double* p, double* const* out) {
  double last = 0.0;
  smoothed_dm(in, int(p[0]), [&](std::size_t t, double sp, double sm, double tr) {
    last = dx_of(sp, sm, tr, last);
    out[0][t] = last;
  });
}

// ADX: the mean of the first `period` DX values, then Wilder-smoothed.
void adx_series(const Inputs& in, int period, double* out) {
  double sum = 0, adx = 0, last_dx = 0;
  int count = 0;
  smoothed_dm(in, period, [&](std::size_t t, double sp, double sm, double tr) {
    last_dx = dx_of(sp, sm, tr, last_dx);
    if (count < period) {
      sum += last_dx;
      if (++count == period) {
        adx = sum / period;
        out[t] = adx;
      }
    } else {
      adx = (adx * (period - 1) + last_dx) / period;
      out[t] = adx;
    }
  });
}
int lb_adx(const double* p) { return 2 * int(p[0]) - 1; }
void adx_fn(const Inputs& in, const double* p, double* const* out) { adx_series(in, int(p[0]), out[0]); }
int lb_adxr(const double* p) { return 3 * int(p[0]) - 2; }
void adxr_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  std::vector<double> adx(in.size());
  adx_series(in, period, adx.data());
  for (std::size_t t = lb_adxr(p); t < in.size(); ++t) out[0][t] = (adx[t] + adx[t - (period - 1)]) / 2.0;
}

// ULTOSC: weighted (4:2:1) ratio of buying pressure to true range over three periods.
int lb_ultosc(const double* p) { return std::max({int(p[0]), int(p[1]), int(p[2])}); }
void ultosc_fn(const Inputs& in, const double* p, double* const* out) {
  const std::size_t n = in.size();
  std::vector<double> bp(n), tr(n);
  for (std::size_t t = 1; t < n; ++t) {
    bp[t] = in.close[t] - std::min(in.low[t], in.close[t - 1]);
    tr[t] = k::true_range(in.high[t], in.low[t], in.close[t - 1]);
  }
  int periods[3] = {int(p[0]), int(p[1]), int(p[2])};
  std::sort(periods, periods + 3);  // TA-Lib orders them: shortest weighs 4
  auto avg = [&](std::size_t t, int len) {
    double b = 0, r = 0;
    for (int i = 0; i < len; ++i) {
      b += bp[t - i];
      r += tr[t - i];
    }
    return k::is_zero(r) ? 0.0 : b / r;
  };
  for (std::size_t t = lb_ultosc(p); t < n; ++t)
    out[0][t] = 100.0 * (4.0 * avg(t, periods[0]) + 2.0 * avg(t, periods[1]) + avg(t, periods[2])) / 7.0;
}

const ParamDef kMaType{"optInMAType", "matype", 0, 0, 8, true};

}  // namespace

void register_momentum(std::vector<FunctionDef>& fs) {
  const char* g = "Momentum Indicators";
  const ParamDef p10_1 = period(10, 1), p14 = period(14), p14_1 = period(14, 1);
  fs.push_back({"MOM", g, {"real"}, {p10_1}, {"outReal"}, false, lb_period, roc_family<0>, streams::mom});
  fs.push_back({"ROC", g, {"real"}, {p10_1}, {"outReal"}, false, lb_period, roc_family<1>, streams::roc});
  fs.push_back({"ROCP", g, {"real"}, {p10_1}, {"outReal"}, false, lb_period, roc_family<2>, streams::rocp, finite_memory});
  fs.push_back({"ROCR", g, {"real"}, {p10_1}, {"outReal"}, false, lb_period, roc_family<3>, streams::rocr, finite_memory});
  fs.push_back({"ROCR100", g, {"real"}, {p10_1}, {"outReal"}, false, lb_period, roc_family<4>, streams::rocr100, finite_memory});
  fs.push_back({"RSI", g, {"real"}, {p14}, {"outReal"}, false, lb_period, rsi_fn, streams::rsi});
  fs.push_back({"CMO", g, {"real"}, {p14}, {"outReal"}, false, lb_period, cmo_fn, streams::cmo});
  fs.push_back({"MACD", g, {"real"},
                {{"optInFastPeriod", "fastperiod", 12, 2, kBig, true},
                 {"optInSlowPeriod", "slowperiod", 26, 2, kBig, true},
                 {"optInSignalPeriod", "signalperiod", 9, 1, kBig, true}},
                {"outMACD", "outMACDSignal", "outMACDHist"}, false, lb_macd, macd_fn, streams::macd});
  fs.push_back({"MACDEXT", g, {"real"},
                {{"optInFastPeriod", "fastperiod", 12, 2, kBig, true}, {"optInFastMAType", "fastmatype", 0, 0, 8, true},
                 {"optInSlowPeriod", "slowperiod", 26, 2, kBig, true}, {"optInSlowMAType", "slowmatype", 0, 0, 8, true},
                 {"optInSignalPeriod", "signalperiod", 9, 1, kBig, true}, {"optInSignalMAType", "signalmatype", 0, 0, 8, true}},
                {"outMACD", "outMACDSignal", "outMACDHist"}, false, lb_macdext, macdext_fn, streams::macdext});
  fs.push_back({"MACDFIX", g, {"real"}, {{"optInSignalPeriod", "signalperiod", 9, 1, kBig, true}},
                {"outMACD", "outMACDSignal", "outMACDHist"}, false, lb_macdfix, macdfix_fn, streams::macdfix});
  const std::vector<ParamDef> po{{"optInFastPeriod", "fastperiod", 12, 2, kBig, true},
                                 {"optInSlowPeriod", "slowperiod", 26, 2, kBig, true}, kMaType};
  fs.push_back({"APO", g, {"real"}, po, {"outReal"}, false, lb_po, po_fn<false>, streams::apo, finite_memory});
  fs.push_back({"PPO", g, {"real"}, po, {"outReal"}, false, lb_po, po_fn<true>, streams::ppo, finite_memory});
  fs.push_back({"TRIX", g, {"real"}, {period(30, 1)}, {"outReal"}, false, lb_trix, trix_fn, streams::trix});
  fs.push_back({"BOP", g, {"open", "high", "low", "close"}, {}, {"outReal"}, false, [](const double*) { return 0; }, bop_fn, nullptr, finite_memory});
  fs.push_back({"CCI", g, {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_period_minus_1, cci_fn, streams::cci});
  fs.push_back({"WILLR", g, {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_period_minus_1, willr_fn, streams::willr, nullptr,
                {"highlow", streams::highlow_set}});
  fs.push_back({"AROON", g, {"high", "low"}, {p14}, {"outAroonDown", "outAroonUp"}, false, lb_period, aroon_fn, streams::aroon});
  fs.push_back({"AROONOSC", g, {"high", "low"}, {p14}, {"outReal"}, false, lb_period, aroonosc_fn, streams::aroonosc, finite_memory});
  fs.push_back({"STOCH", g, {"high", "low", "close"},
                {{"optInFastK_Period", "fastk_period", 5, 1, kBig, true},
                 {"optInSlowK_Period", "slowk_period", 3, 1, kBig, true},
                 {"optInSlowK_MAType", "slowk_matype", 0, 0, 8, true},
                 {"optInSlowD_Period", "slowd_period", 3, 1, kBig, true},
                 {"optInSlowD_MAType", "slowd_matype", 0, 0, 8, true}},
                {"outSlowK", "outSlowD"}, false, lb_stoch, stoch_fn, streams::stoch});
  const std::vector<ParamDef> stochf_params{{"optInFastK_Period", "fastk_period", 5, 1, kBig, true},
                                            {"optInFastD_Period", "fastd_period", 3, 1, kBig, true},
                                            {"optInFastD_MAType", "fastd_matype", 0, 0, 8, true}};
  fs.push_back({"STOCHF", g, {"high", "low", "close"}, stochf_params, {"outFastK", "outFastD"}, false, lb_stochf, stochf_fn, streams::stochf, finite_memory});
  std::vector<ParamDef> stochrsi_params{p14};
  stochrsi_params.insert(stochrsi_params.end(), stochf_params.begin(), stochf_params.end());
  fs.push_back({"STOCHRSI", g, {"real"}, stochrsi_params, {"outFastK", "outFastD"}, false, lb_stochrsi, stochrsi_fn, streams::stochrsi});
  fs.push_back({"MFI", g, {"high", "low", "close", "volume"}, {p14}, {"outReal"}, false, lb_period, mfi_fn, streams::mfi});
  fs.push_back({"IMI", g, {"open", "close"}, {p14}, {"outReal"}, false, lb_period_minus_1, imi_fn, nullptr, finite_memory});
  fs.push_back({"PLUS_DM", g, {"high", "low"}, {p14_1}, {"outReal"}, false, lb_dm, dm_fn<true>, streams::plus_dm, finite_memory_unsmoothed});
  fs.push_back({"MINUS_DM", g, {"high", "low"}, {p14_1}, {"outReal"}, false, lb_dm, dm_fn<false>, streams::minus_dm, finite_memory_unsmoothed});
  fs.push_back({"PLUS_DI", g, {"high", "low", "close"}, {p14_1}, {"outReal"}, false, lb_period, di_fn<true>, streams::plus_di});
  fs.push_back({"MINUS_DI", g, {"high", "low", "close"}, {p14_1}, {"outReal"}, false, lb_period, di_fn<false>, streams::minus_di});
  fs.push_back({"DX", g, {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_period, dx_fn, streams::dx});
  fs.push_back({"ADX", g, {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_adx, adx_fn, streams::adx});
  fs.push_back({"ADXR", g, {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_adxr, adxr_fn, streams::adxr});
  fs.push_back({"ULTOSC", g, {"high", "low", "close"},
                {{"optInTimePeriod1", "timeperiod1", 7, 1, kBig, true},
                 {"optInTimePeriod2", "timeperiod2", 14, 1, kBig, true},
                 {"optInTimePeriod3", "timeperiod3", 28, 1, kBig, true}},
                {"outReal"}, false, lb_ultosc, ultosc_fn, nullptr, finite_memory});
}

}  // namespace sextant::analytics::ta
