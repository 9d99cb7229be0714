#pragma once
// What the streaming files share (include/sextant/analytics/ta_stream.hpp): a ring of recent rows, the
// SMA and EMA states with TA-Lib's seeding, the streams of the MA types, and one stream factory per
// streamed function (each FunctionDef's `stream` points at its own: one registry answers batch and
// streaming). A factory returns null for parameters it has no state machine for.
#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "kernels.hpp"
#include "sextant/analytics/ta_stream.hpp"

namespace sextant::analytics::ta {
namespace streaming {

// Last `len` values of every instrument: at(age)[j] is instrument j's value `age` bars ago.
class Ring {
 public:
  Ring(std::size_t len, std::size_t n) : len_(len), n_(n), data_(len * n, 0.0) {}
  void push(const double* v) {
    head_ = (head_ + 1) % len_;
    std::copy(v, v + n_, data_.data() + head_ * n_);
  }
  const double* at(std::size_t age) const { return data_.data() + ((head_ + len_ - age) % len_) * n_; }

 private:
  std::size_t len_, n_, head_ = 0;
  std::vector<double> data_;
};

// EMA with TA-Lib's seeding, fed from its first valid input: the SMA of the first `period` inputs.
struct EmaState {
  EmaState(int period, double k, std::size_t n) : p(period), k(k), sum(n, 0.0), e(n, 0.0) {}
  //! Returns true once e holds a value (from the period-th input on).
  bool update(const double* x) {
    ++count;
    const std::size_t n = e.size();
    if (count < p) {
      for (std::size_t j = 0; j < n; ++j) sum[j] += x[j];
      return false;
    }
    if (count == p) {
      for (std::size_t j = 0; j < n; ++j) e[j] = (sum[j] + x[j]) / p;
      return true;
    }
    for (std::size_t j = 0; j < n; ++j) e[j] = (x[j] - e[j]) * k + e[j];
    return true;
  }
  int p;
  double k;
  int count = 0;
  std::vector<double> sum, e;
};

// SMA with the batch kernel's running sum: add the new value, divide, drop the oldest.
struct SmaState {
  SmaState(int period, std::size_t n) : p(period), ring(period, n), sum(n, 0.0), value(n, 0.0) {}
  bool update(const double* x) {
    ring.push(x);
    ++count;
    const std::size_t n = sum.size();
    for (std::size_t j = 0; j < n; ++j) sum[j] += x[j];
    if (count < p) return false;
    const double* oldest = ring.at(p - 1);
    for (std::size_t j = 0; j < n; ++j) {
      value[j] = sum[j] / p;
      sum[j] -= oldest[j];
    }
    return true;
  }
  int p;
  Ring ring;
  int count = 0;
  std::vector<double> sum, value;
};

//! MA types 0-4 (SMA EMA WMA DEMA TEMA) stream inside the composites (APO, PPO, BBANDS, MACDEXT, the
//! stochastics); MA itself streams type 5 (TRIMA) too; KAMA, MAMA and T3 as MA types replay.
inline bool streamed_ma_type(int ma_type) { return ma_type >= 0 && ma_type <= 4; }
//! The stream of MA type `ma_type` (0-5) with period >= 2, else null (stream_overlap.cpp).
std::unique_ptr<Stream> ma_stream(int period, int ma_type, std::size_t n);
//! VAR with deviations 1 (stream_statistic.cpp).
std::unique_ptr<Stream> variance_stream(int period, std::size_t n);
//! An integer parameter.
inline int i(std::span<const double> p, std::size_t k) { return int(p[k]); }

}  // namespace streaming

namespace streams {

// overlap
std::unique_ptr<Stream> sma(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ema(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> wma(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> trima(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> dema(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> tema(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ma(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> bbands(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> kama(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> sar(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> sarext(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> t3(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
// momentum
std::unique_ptr<Stream> rsi(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> cmo(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> macd(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> macdfix(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> macdext(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> apo(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ppo(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> cci(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> stochrsi(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> stochf(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> stoch(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> trix(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> mom(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> roc(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> willr(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> mfi(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> aroon(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> aroonosc(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> rocp(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> rocr(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> rocr100(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> midpoint(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> midprice(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
//! WILLR and MIDPRICE of one period: output k is fs[k]'s.
std::unique_ptr<Stream> highlow_set(std::span<const FunctionDef* const> fs, std::span<const double> params, std::size_t instruments);
// volatility_volume
std::unique_ptr<Stream> trange(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> atr(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> natr(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ad(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> adosc(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> obv(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
// statistic
std::unique_ptr<Stream> var(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> stddev(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
//! LINEARREG, LINEARREG_ANGLE, LINEARREG_INTERCEPT, LINEARREG_SLOPE and TSF (by f.name).
std::unique_ptr<Stream> linearreg(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
//! Several of them over one close and period: output k is fs[k]'s.
std::unique_ptr<Stream> linearreg_set(std::span<const FunctionDef* const> fs, std::span<const double> params, std::size_t instruments);
// cycle
std::unique_ptr<Stream> ht_dcperiod(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ht_phasor(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ht_dcphase(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ht_sine(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ht_trendmode(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> ht_trendline(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> mama(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
// directional
std::unique_ptr<Stream> adx(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> adxr(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> plus_dm(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> minus_dm(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> plus_di(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> minus_di(const FunctionDef& f, std::span<const double> params, std::size_t instruments);
std::unique_ptr<Stream> dx(const FunctionDef& f, std::span<const double> params, std::size_t instruments);

}  // namespace streams
}  // namespace sextant::analytics::ta
