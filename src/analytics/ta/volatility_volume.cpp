// Volatility (TRANGE, ATR, NATR) and volume (AD, ADOSC, OBV) indicators.
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

void trange_fn(const Inputs& in, const double*, double* const* out) {
  const double *h = in.high.data(), *l = in.low.data(), *c = in.close.data();
  double* o = out[0];
  for (std::size_t t = 1, n = in.size(); t < n; ++t) o[t] = k::true_range(h[t], l[t], c[t - 1]);
}

// ATR: the mean of the first `period` true ranges (rows 1..period), then (prev·(n-1) + TR) / n.
void atr_series(const Inputs& in, int period, double* out) {
  const std::size_t n = in.size();
  if (period <= 1) {
    trange_fn(in, nullptr, &out);
    return;
  }
  double a = 0;
  for (int t = 1; t <= period; ++t) a += k::true_range(in.high[t], in.low[t], in.close[t - 1]);
  a /= period;
  out[period] = a;
  for (std::size_t t = period + 1; t < n; ++t) {
    a = (a * (period - 1) + k::true_range(in.high[t], in.low[t], in.close[t - 1])) / period;
    out[t] = a;
  }
}
int lb_atr(const double* p) { return int(p[0]); }
void atr_fn(const Inputs& in, const double* p, double* const* out) { atr_series(in, int(p[0]), out[0]); }
void natr_fn(const Inputs& in, const double* p, double* const* out) {
  atr_series(in, int(p[0]), out[0]);
  for (std::size_t t = int(p[0]); t < in.size(); ++t)
    out[0][t] = k::is_zero(in.close[t]) ? 0.0 : out[0][t] / in.close[t] * 100.0;
}

double clv_volume(const Inputs& in, std::size_t t) {
  double range = in.high[t] - in.low[t];
  return range > 0.0 ? (((in.close[t] - in.low[t]) - (in.high[t] - in.close[t])) / range) * in.volume[t] : 0.0;
}

void ad_fn(const Inputs& in, const double*, double* const* out) {
  double ad = 0;
  for (std::size_t t = 0; t < in.size(); ++t) out[0][t] = ad += clv_volume(in, t);
}

// ADOSC: EMA(AD, fast) - EMA(AD, slow), both EMAs seeded with the first AD value (TA-Lib's choice).
int lb_adosc(const double* p) { return std::max(int(p[0]), int(p[1])) - 1; }
void adosc_fn(const Inputs& in, const double* p, double* const* out) {
  const double kf = k::ema_k(int(p[0])), ks = k::ema_k(int(p[1]));
  double ad = clv_volume(in, 0), fast = ad, slow = ad;
  const std::size_t start = std::size_t(lb_adosc(p));
  for (std::size_t t = 1; t < in.size(); ++t) {
    ad += clv_volume(in, t);
    fast = kf * ad + (1.0 - kf) * fast;
    slow = ks * ad + (1.0 - ks) * slow;
    if (t >= start) out[0][t] = fast - slow;
  }
  if (start == 0) out[0][0] = 0.0;
}

void obv_fn(const Inputs& in, const double*, double* const* out) {
  const double *x = in.real.data(), *v = in.volume.data();
  double* o = out[0];
  double obv = v[0], prev = x[0];
  o[0] = obv;
  for (std::size_t t = 1, n = in.size(); t < n; ++t) {
    obv += x[t] > prev ? v[t] : (x[t] < prev ? -v[t] : 0.0);
    prev = x[t];
    o[t] = obv;
  }
}

int lb_zero(const double*) { return 0; }
int lb_one(const double*) { return 1; }

}  // namespace

void register_volatility_volume(std::vector<FunctionDef>& fs) {
  const ParamDef p14{"optInTimePeriod", "timeperiod", 14, 1, 100000, true};
  fs.push_back({"TRANGE", "Volatility Indicators", {"high", "low", "close"}, {}, {"outReal"}, false, lb_one, trange_fn, streams::trange});
  fs.push_back({"ATR", "Volatility Indicators", {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_atr, atr_fn, streams::atr});
  fs.push_back({"NATR", "Volatility Indicators", {"high", "low", "close"}, {p14}, {"outReal"}, false, lb_atr, natr_fn, streams::natr});
  fs.push_back({"AD", "Volume Indicators", {"high", "low", "close", "volume"}, {}, {"outReal"}, false, lb_zero, ad_fn, streams::ad});
  fs.push_back({"ADOSC", "Volume Indicators", {"high", "low", "close", "volume"},
                {{"optInFastPeriod", "fastperiod", 3, 2, 100000, true}, {"optInSlowPeriod", "slowperiod", 10, 2, 100000, true}},
                {"outReal"}, false, lb_adosc, adosc_fn, streams::adosc});
  fs.push_back({"OBV", "Volume Indicators", {"real", "volume"}, {}, {"outReal"}, false, lb_zero, obv_fn, streams::obv});
}

}  // namespace sextant::analytics::ta
