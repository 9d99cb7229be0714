// Streaming state machines for the common indicators. Each mirrors its batch kernel's arithmetic
// order exactly (see the batch files), so stream == batch at every row.
#include "sextant/analytics/ta_stream.hpp"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>
#include <string>

#include <tbb/parallel_for.h>

#include "../simd.hpp"
#include "cycle.hpp"
#include "kernels.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics::ta {

Stream::Stream(std::size_t instruments, std::size_t outputs)
    : n_(instruments), outputs_(outputs, std::vector<double>(instruments, std::numeric_limits<double>::quiet_NaN())) {}

namespace {

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

struct SmaStream final : Stream {
  SmaStream(int p, std::size_t n) : Stream(n, 1), s(p, n) {}
  void update(const PanelBar& b) override {
    ++seen_;
    if (s.update(b.close.data())) outputs_[0] = s.value;
  }
  SmaState s;
};

struct EmaStream final : Stream {
  EmaStream(int p, std::size_t n) : Stream(n, 1), e(p, k::ema_k(p), n) {}
  void update(const PanelBar& b) override {
    ++seen_;
    if (e.update(b.close.data())) outputs_[0] = e.e;
  }
  EmaState e;
};

// DEMA / TEMA: each EMA is fed from the previous one's first value on.
struct MultiEmaStream final : Stream {
  MultiEmaStream(int p, int depth, std::size_t n) : Stream(n, 1), depth(depth) {
    for (int i = 0; i < depth; ++i) e.emplace_back(p, k::ema_k(p), n);
  }
  void update(const PanelBar& b) override {
    ++seen_;
    if (!e[0].update(b.close.data()) || !e[1].update(e[0].e.data())) return;
    if (depth == 2) {
      for (std::size_t j = 0; j < n_; ++j) outputs_[0][j] = 2.0 * e[0].e[j] - e[1].e[j];
    } else if (e[2].update(e[1].e.data())) {
      for (std::size_t j = 0; j < n_; ++j) outputs_[0][j] = 3.0 * e[0].e[j] - 3.0 * e[1].e[j] + e[2].e[j];
    }
  }
  int depth;
  std::vector<EmaState> e;
};

// TRIX: the one-bar rate of change of a triple EMA (each EMA seeded as TA-Lib seeds it).
struct TrixStream final : Stream {
  TrixStream(int p, std::size_t n) : Stream(n, 1), prev(n) {
    for (int i = 0; i < 3; ++i) e.emplace_back(p, k::ema_k(p), n);
  }
  void update(const PanelBar& b) override {
    ++seen_;
    if (!e[0].update(b.close.data()) || !e[1].update(e[0].e.data()) || !e[2].update(e[1].e.data())) return;
    const double* e3 = e[2].e.data();
    if (have_prev) {
      double* out = outputs_[0].data();
      for (std::size_t j = 0; j < n_; ++j) {  // computed unconditionally, then selected: vectorises
        const double v = (e3[j] / prev[j] - 1.0) * 100.0;
        out[j] = prev[j] != 0.0 ? v : 0.0;
      }
    }
    std::copy(e3, e3 + n_, prev.begin());
    have_prev = true;
  }
  std::vector<EmaState> e;
  std::vector<double> prev;
  bool have_prev = false;
};

// T3 (Tillson): six chained EMAs, each seeded with the mean of its first `period` inputs. The seeding
// runs in levels as the batch kernel does: level L feeds p-1 bars through EMAs 0..L-1 and averages
// EMA L-1 (starting from its seed); after level 5 every bar updates all six and emits.
struct T3Stream final : Stream {
  T3Stream(int p, double vfactor, std::size_t n) : Stream(n, 1), p(p), k(2.0 / (p + 1.0)), k1(1.0 - k), e(6, std::vector<double>(n)), s(n, 0.0) {
    const double t2 = vfactor * vfactor;
    c1 = -t2 * vfactor, c2 = 3.0 * (t2 - c1), c3 = -6.0 * t2 - 3.0 * (vfactor - c1), c4 = 1.0 + 3.0 * vfactor - c1 + 3.0 * t2;
  }
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    const std::size_t t = seen_++;
    if (t < std::size_t(p)) {  // level 0: the plain mean of the first p inputs
      for (std::size_t j = 0; j < n_; ++j) s[j] += x[j];
      if (t + 1 < std::size_t(p)) return;
      for (std::size_t j = 0; j < n_; ++j) e[0][j] = s[j] / p;
      level = 1, steps = 0;
      start_level();
      return;
    }
    if (level <= 5) {
      for (std::size_t j = 0; j < n_; ++j) {
        e[0][j] = k * x[j] + k1 * e[0][j];
        for (int q = 1; q < level; ++q) e[q][j] = k * e[q - 1][j] + k1 * e[q][j];
        s[j] += e[level - 1][j];
      }
      if (++steps == p - 1) {
        for (std::size_t j = 0; j < n_; ++j) e[level][j] = s[j] / p;
        ++level, steps = 0;
        start_level();
      }
      return;
    }
    for (std::size_t j = 0; j < n_; ++j) {
      e[0][j] = k * x[j] + k1 * e[0][j];
      for (int q = 1; q < 6; ++q) e[q][j] = k * e[q - 1][j] + k1 * e[q][j];
    }
    emit();
  }

 private:
  // Begins level `level`: its sum starts from the seed just made (T3 takes p >= 2, so every level has
  // bars). After level 5 the first value is emitted on this bar.
  void start_level() {
    if (level <= 5) std::copy(e[level - 1].begin(), e[level - 1].end(), s.begin());
    else emit();
  }
  void emit() {
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) out[j] = c1 * e[5][j] + c2 * e[4][j] + c3 * e[3][j] + c4 * e[2][j];
  }
  int p;
  double k, k1, c1, c2, c3, c4;
  std::vector<std::vector<double>> e;
  std::vector<double> s;
  int level = 0, steps = 0;
};

struct WmaStream final : Stream {
  WmaStream(int p, std::size_t n) : Stream(n, 1), p(p), ring(p, n), sum(n, 0.0), sub(n, 0.0), trailing(n, 0.0) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    ring.push(x);
    const std::size_t t = ++seen_;
    const double divider = p * (p + 1) / 2.0;
    if (t < std::size_t(p)) {
      for (std::size_t j = 0; j < n_; ++j) sub[j] += x[j], sum[j] += x[j] * double(t);
      return;
    }
    const double* oldest = ring.at(p - 1);  // the trailing value for the next bar
    for (std::size_t j = 0; j < n_; ++j) {
      sub[j] += x[j];
      sub[j] -= trailing[j];
      sum[j] += x[j] * p;
      trailing[j] = oldest[j];
      outputs_[0][j] = sum[j] / divider;
      sum[j] -= sub[j];
    }
  }
  int p;
  Ring ring;
  std::vector<double> sum, sub, trailing;
};

// RSI, and CMO (the same Wilder-smoothed gain and loss, output 100·(gain - loss)/(gain + loss)).
struct RsiStream final : Stream {
  RsiStream(int p, std::size_t n, bool cmo = false) : Stream(n, 1), p(p), cmo(cmo), prev(n), gain(n, 0.0), loss(n, 0.0) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    const std::size_t t = seen_++;
    if (t == 0) {
      std::copy(x, x + n_, prev.begin());
      return;
    }
    // Branch-free per instrument (the bar count tests are hoisted), so the loop vectorises. Adding the
    // zero side (+0.0) leaves a sum unchanged, so the values are TA-Lib's.
    const double carry = t > std::size_t(p) ? double(p - 1) : 1.0;
    const bool emit = t >= std::size_t(p);
    const double div = emit ? double(p) : 1.0;
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double d = x[j] - prev[j];
      prev[j] = x[j];
      const double g = (gain[j] * carry + (d < 0 ? 0.0 : d)) / div;
      const double l = (loss[j] * carry - (d < 0 ? d : 0.0)) / div;
      gain[j] = g, loss[j] = l;
      const double s = g + l, r = cmo ? 100.0 * ((g - l) / s) : 100.0 * (g / s);
      if (emit) out[j] = k::is_zero(s) ? 0.0 : r;
    }
  }
  int p;
  bool cmo;
  std::vector<double> prev, gain, loss;
};

// VAR and STDDEV: TA-Lib's running sums of x and x² over the window, updated in its order (add the
// new value, take the means, then drop the oldest), so the stream rounds exactly as the batch does.
struct VarStream final : Stream {
  VarStream(bool stddev, int p, double nbdev, std::size_t n)
      : Stream(n, 1), stddev(stddev), p(p), nbdev(nbdev), ring(std::size_t(p), n), s1(n, 0.0), s2(n, 0.0) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    ring.push(x);
    const std::size_t t = seen_++;
    for (std::size_t j = 0; j < n_; ++j) s1[j] += x[j], s2[j] += x[j] * x[j];
    if (t + 1 < std::size_t(p)) return;
    const double* old = ring.at(std::size_t(p - 1));
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double m1 = s1[j] / p, m2 = s2[j] / p, v = m2 - m1 * m1, sd = std::sqrt(v) * nbdev;
      s1[j] -= old[j];
      s2[j] -= old[j] * old[j];
      out[j] = !stddev ? v : (v > 0.00000001 ? sd : 0.0);
    }
  }
  bool stddev;
  int p;
  double nbdev;
  Ring ring;
  std::vector<double> s1, s2;
};

// AD (Chaikin's accumulation/distribution line) and ADOSC (EMAs of it, both seeded with the first AD
// value, fast minus slow from row max(fast, slow) - 1).
struct AdStream final : Stream {
  AdStream(std::size_t n) : Stream(n, 1), osc(false), kf(0), ks(0), start(0), ad(n, 0.0), fast(n), slow(n) {}
  AdStream(int f, int sl, std::size_t n)
      : Stream(n, 1), osc(true), kf(k::ema_k(f)), ks(k::ema_k(sl)), start(std::size_t(std::max(f, sl) - 1)),
        ad(n, 0.0), fast(n), slow(n) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double range = b.high[j] - b.low[j];
      const double clv = (((b.close[j] - b.low[j]) - (b.high[j] - b.close[j])) / range) * b.volume[j];
      ad[j] += range > 0.0 ? clv : 0.0;
    }
    if (!osc) {
      std::copy(ad.begin(), ad.end(), out);
      return;
    }
    if (t == 0) {
      std::copy(ad.begin(), ad.end(), fast.begin()), std::copy(ad.begin(), ad.end(), slow.begin());
      if (start == 0) std::fill(out, out + n_, 0.0);
      return;
    }
    for (std::size_t j = 0; j < n_; ++j) {
      fast[j] = kf * ad[j] + (1.0 - kf) * fast[j];
      slow[j] = ks * ad[j] + (1.0 - ks) * slow[j];
    }
    if (t >= start)
      for (std::size_t j = 0; j < n_; ++j) out[j] = fast[j] - slow[j];
  }
  bool osc;
  double kf, ks;
  std::size_t start;
  std::vector<double> ad, fast, slow;
};

// MACD: both EMAs start on the slow one's first row; the fast seed averages the last `fast` inputs.
struct MacdStream final : Stream {
  MacdStream(int fast, int slow, int signal, std::size_t n)
      : Stream(n, 3), fast(std::min(fast, slow)), slow(std::max(fast, slow)), ring(std::min(fast, slow), n),
        slow_sum(n, 0.0), ef(n), es(n), line(n), sig(signal, k::ema_k(signal), n),
        kf(k::ema_k(std::min(fast, slow))), ks(k::ema_k(std::max(fast, slow))) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    ring.push(x);
    const std::size_t t = ++seen_;
    if (t < std::size_t(slow)) {
      for (std::size_t j = 0; j < n_; ++j) slow_sum[j] += x[j];
      return;
    }
    if (t == std::size_t(slow)) {
      for (std::size_t j = 0; j < n_; ++j) {
        double f = 0;
        for (int age = fast - 1; age >= 0; --age) f += ring.at(age)[j];
        ef[j] = f / fast;
        es[j] = (slow_sum[j] + x[j]) / slow;
      }
    } else {
      for (std::size_t j = 0; j < n_; ++j) {
        ef[j] = (x[j] - ef[j]) * kf + ef[j];
        es[j] = (x[j] - es[j]) * ks + es[j];
      }
    }
    for (std::size_t j = 0; j < n_; ++j) line[j] = ef[j] - es[j];
    if (!sig.update(line.data())) return;
    for (std::size_t j = 0; j < n_; ++j) {
      outputs_[0][j] = line[j];
      outputs_[1][j] = sig.e[j];
      outputs_[2][j] = line[j] - sig.e[j];
    }
  }
  int fast, slow;
  Ring ring;
  std::vector<double> slow_sum, ef, es, line;
  EmaState sig;
  double kf, ks;
};

struct BbandsStream final : Stream {
  BbandsStream(int p, double up, double dn, std::size_t n) : Stream(n, 3), p(p), up(up), dn(dn), sma(p, n), total2(n, 0.0) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    ++seen_;
    for (std::size_t j = 0; j < n_; ++j) total2[j] += x[j] * x[j];
    if (!sma.update(x)) return;
    const double* old = sma.ring.at(p - 1);
    for (std::size_t j = 0; j < n_; ++j) {
      double mean2 = total2[j] / p;
      total2[j] -= old[j] * old[j];
      mean2 -= sma.value[j] * sma.value[j];
      const double sd = mean2 >= 0.00000001 ? std::sqrt(mean2) : 0.0;
      outputs_[1][j] = sma.value[j];
      outputs_[0][j] = sma.value[j] + sd * up;
      outputs_[2][j] = sma.value[j] - sd * dn;
    }
  }
  int p;
  double up, dn;
  SmaState sma;
  std::vector<double> total2;
};

// ATR / NATR / TRANGE: true range from the second bar; ATR = mean of the first p, then Wilder.
struct AtrStream final : Stream {
  enum Kind { trange, atr, natr };
  AtrStream(Kind kind, int p, std::size_t n) : Stream(n, 1), kind(kind), p(p), prev_close(n), a(n, 0.0) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    for (std::size_t j = 0; j < n_; ++j) {
      if (t > 0) {
        double tr = k::true_range(b.high[j], b.low[j], prev_close[j]);
        if (kind == trange || p <= 1) {
          outputs_[0][j] = kind == natr ? (k::is_zero(b.close[j]) ? 0.0 : tr / b.close[j] * 100.0) : tr;
        } else if (t < std::size_t(p)) {
          a[j] += tr;
        } else {
          a[j] = t == std::size_t(p) ? (a[j] + tr) / p : (a[j] * (p - 1) + tr) / p;
          outputs_[0][j] = kind == natr ? (k::is_zero(b.close[j]) ? 0.0 : a[j] / b.close[j] * 100.0) : a[j];
        }
      }
      prev_close[j] = b.close[j];
    }
  }
  Kind kind;
  int p;
  std::vector<double> prev_close, a;
};

// ADX's loops as free functions: GCC honours __restrict on parameters (not on locals) and clones
// free functions, so these vectorise (AVX-512/AVX2 where the CPU has them). A per-instrument loop
// with the phase tests inside spent ~6 µs on 500 instruments in scalar divisions. The arithmetic is
// the batch kernel's, operation for operation.
SEXTANT_SIMD_CLONES void dm_sums(std::size_t n, const double* __restrict hi, const double* __restrict lo,
                                 const double* __restrict h0, const double* __restrict l0, const double* __restrict c0,
                                 double* __restrict sp, double* __restrict sm, double* __restrict st) {
  for (std::size_t j = 0; j < n; ++j) {
    const double upm = hi[j] - h0[j], downm = l0[j] - lo[j];
    sp[j] += (upm > 0) & (upm > downm) ? upm : 0.0;
    sm[j] += (downm > 0) & (downm > upm) ? downm : 0.0;
    st[j] += k::true_range(hi[j], lo[j], c0[j]);
  }
}

// Wilder-smoothed +DM, -DM and TR, then DX (kept where TR or DI+ + DI- is zero).
SEXTANT_SIMD_CLONES void dx_step(std::size_t n, double p, const double* __restrict hi, const double* __restrict lo,
                                 const double* __restrict h0, const double* __restrict l0, const double* __restrict c0,
                                 double* __restrict sp, double* __restrict sm, double* __restrict st,
                                 double* __restrict dx) {
  for (std::size_t j = 0; j < n; ++j) {
    const double upm = hi[j] - h0[j], downm = l0[j] - lo[j];
    const double plus = (upm > 0) & (upm > downm) ? upm : 0.0, minus = (downm > 0) & (downm > upm) ? downm : 0.0;
    const double tr = k::true_range(hi[j], lo[j], c0[j]);
    sp[j] = sp[j] - sp[j] / p + plus;
    sm[j] = sm[j] - sm[j] / p + minus;
    st[j] = st[j] - st[j] / p + tr;
    const double mi = 100.0 * (sm[j] / st[j]), pl = 100.0 * (sp[j] / st[j]), s = mi + pl;
    const double v = 100.0 * (std::fabs(mi - pl) / s);
    dx[j] = !k::is_zero(st[j]) & !k::is_zero(s) ? v : dx[j];
  }
}

struct AdxStream final : Stream {
  AdxStream(int p, std::size_t n)
      : Stream(n, 1), p(p), ph(n), pl(n), pc(n), sp(n, 0.0), sm(n, 0.0), st(n, 0.0), sum(n, 0.0), adx(n), dx(n, 0.0) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++, n = n_;
    const double dp = p;
    if (t > 0 && t < std::size_t(p)) {
      dm_sums(n, b.high.data(), b.low.data(), ph.data(), pl.data(), pc.data(), sp.data(), sm.data(), st.data());
    } else if (t > 0) {
      dx_step(n, dp, b.high.data(), b.low.data(), ph.data(), pl.data(), pc.data(), sp.data(), sm.data(), st.data(),
              dx.data());
      const std::size_t count = t - p + 1;  // DX values so far
      double* out = outputs_[0].data();
      if (count < std::size_t(p)) {
        for (std::size_t j = 0; j < n; ++j) sum[j] += dx[j];
      } else if (count == std::size_t(p)) {
        for (std::size_t j = 0; j < n; ++j) adx[j] = (sum[j] + dx[j]) / dp, out[j] = adx[j];
      } else {
        for (std::size_t j = 0; j < n; ++j) adx[j] = (adx[j] * (dp - 1) + dx[j]) / dp, out[j] = adx[j];
      }
    }
    std::copy_n(b.high.data(), n, ph.data()), std::copy_n(b.low.data(), n, pl.data());
    std::copy_n(b.close.data(), n, pc.data());
  }
  int p;
  std::vector<double> ph, pl, pc, sp, sm, st, sum, adx, dx;
};

// Wilder's directional movement outside ADX: smoothed +DM/-DM, +DI/-DI and DX, with TA-Lib's
// warm-up (the DMs emit their running sum from row period-1; DI and DX from row `period`).
struct DmStream final : Stream {
  enum Kind { plus_dm, minus_dm, plus_di, minus_di, dx };
  DmStream(Kind kind, int p, std::size_t n)
      : Stream(n, 1), kind(kind), p(p), ph(n), pl(n), pc(n), sp(n, 0.0), sm(n, 0.0), st(n, 0.0), last(n, 0.0) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    double* out = outputs_[0].data();
    const bool dm_only = kind == plus_dm || kind == minus_dm;
    const bool warm = dm_only ? t + 1 < std::size_t(p) : t < std::size_t(p);
    if (t > 0)
      for (std::size_t j = 0; j < n_; ++j) {
        const double up = b.high[j] - ph[j], down = pl[j] - b.low[j];
        const double plus = (up > 0) & (up > down) ? up : 0.0, minus = (down > 0) & (down > up) ? down : 0.0;
        const double tr = dm_only ? 0.0 : k::true_range(b.high[j], b.low[j], pc[j]);
        if (warm || (dm_only && t + 1 == std::size_t(p))) {
          sp[j] += plus, sm[j] += minus, st[j] += tr;
        } else {
          sp[j] = sp[j] - sp[j] / p + plus;
          sm[j] = sm[j] - sm[j] / p + minus;
          st[j] = st[j] - st[j] / p + tr;
        }
      }
    std::copy(b.high.begin(), b.high.begin() + long(n_), ph.begin());
    std::copy(b.low.begin(), b.low.begin() + long(n_), pl.begin());
    if (!dm_only) std::copy(b.close.begin(), b.close.begin() + long(n_), pc.begin());  // the DMs take no close
    if (t == 0 || warm) return;
    for (std::size_t j = 0; j < n_; ++j) {  // computed unconditionally, then selected: vectorises
      const double mi = 100.0 * (sm[j] / st[j]), pl_ = 100.0 * (sp[j] / st[j]), sum = mi + pl_;
      const double v = 100.0 * (std::fabs(mi - pl_) / sum);
      const bool tr0 = k::is_zero(st[j]);
      switch (kind) {
        case plus_dm: out[j] = sp[j]; break;
        case minus_dm: out[j] = sm[j]; break;
        case plus_di: out[j] = tr0 ? 0.0 : pl_; break;
        case minus_di: out[j] = tr0 ? 0.0 : mi; break;
        case dx: out[j] = last[j] = !tr0 & !k::is_zero(sum) ? v : last[j]; break;
      }
    }
  }
  Kind kind;
  int p;
  std::vector<double> ph, pl, pc, sp, sm, st, last;
};

// KAMA (Kaufman), as the batch kernel: the sum of |Δx| over the last p steps is kept by adding the new
// step and dropping the oldest, in the batch's order; the first value comes at row p, from x[p-1].
struct KamaStream final : Stream {
  KamaStream(int p, std::size_t n) : Stream(n, 1), p(p), ring(std::size_t(p) + 1, n), sum(n, 0.0), kama(n), trail(n) {}
  void update(const PanelBar& b) override {
    const double* x = b.close.data();
    ring.push(x);
    const std::size_t t = seen_++;
    if (t == 0) return;
    const double* prev = ring.at(1);
    if (t <= std::size_t(p))
      for (std::size_t j = 0; j < n_; ++j) sum[j] += std::fabs(prev[j] - x[j]);
    if (t < std::size_t(p)) return;
    const double* old = ring.at(std::size_t(p));
    const double const_max = 2.0 / (30.0 + 1.0), const_diff = 2.0 / (2.0 + 1.0) - const_max;
    const bool first = t == std::size_t(p);
    if (first) std::copy(prev, prev + n_, kama.begin());
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double v = x[j], roc = v - old[j];
      if (!first) sum[j] = (sum[j] - std::fabs(trail[j] - old[j])) + std::fabs(v - prev[j]);
      trail[j] = old[j];
      const double ratio = std::fabs(roc / sum[j]);
      const double er = (sum[j] <= roc) | k::is_zero(sum[j]) ? 1.0 : ratio;
      double sc = er * const_diff + const_max;
      sc *= sc;
      kama[j] = (v - kama[j]) * sc + kama[j];
      out[j] = kama[j];
    }
  }
  int p;
  Ring ring;
  std::vector<double> sum, kama, trail;
};

// SAR and SAREXT: the batch kernel's own state machine (k::SarState), one per instrument.
struct SarStream final : Stream {
  SarStream(const k::SarState& proto, std::size_t n) : Stream(n, 1), state(n, proto), h0(n), l0(n) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    if (t == 0) {
      std::copy(b.high.begin(), b.high.begin() + long(n_), h0.begin());
      std::copy(b.low.begin(), b.low.begin() + long(n_), l0.begin());
      return;
    }
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      if (t == 1) state[j].init(h0[j], l0[j], b.high[j], b.low[j]);
      out[j] = state[j].step(b.high[j], b.low[j]);
    }
  }
  std::vector<k::SarState> state;
  std::vector<double> h0, l0;
};

// ADXR: the mean of ADX now and p-1 bars ago, from row 3p-2.
struct AdxrStream final : Stream {
  AdxrStream(int p, std::size_t n) : Stream(n, 1), p(p), adx(p, n), ring(std::size_t(p), n) {}
  void update(const PanelBar& b) override {
    adx.update(b);
    const double* now = adx.output(0).data();
    ring.push(now);
    if (seen_++ < std::size_t(3 * p - 2)) return;
    const double* then = ring.at(std::size_t(p - 1));
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) out[j] = (now[j] + then[j]) / 2.0;
  }
  int p;
  AdxStream adx;
  Ring ring;
};

// CCI over the window rows[0..p) (rows[0] the newest), eight instruments at a time with the sums in
// registers; the sums run newest to oldest, as they always have here.
SEXTANT_SIMD_CLONES void cci_window(std::size_t n, int p, const double* const* rows, const double* __restrict tp,
                                    double* __restrict out) {
  const double dp = p;
  std::size_t j0 = 0;
  for (; j0 + 8 <= n; j0 += 8) {
    V8 mean = V8{}, dev = V8{}, v;
    for (int i = 0; i < p; ++i) std::memcpy(&v, rows[i] + j0, sizeof v), mean += v;
    mean /= dp;
    for (int i = 0; i < p; ++i) {
      std::memcpy(&v, rows[i] + j0, sizeof v);
      const V8 d = v - mean;
      dev += d < 0 ? -d : d;
    }
    V8 t, o;
    std::memcpy(&t, tp + j0, sizeof t);
    const V8 diff = t - mean, r = diff / (0.015 * (dev / dp));
    o = (diff != 0.0) & (dev != 0.0) ? r : V8{};
    std::memcpy(out + j0, &o, sizeof o);
  }
  for (std::size_t j = j0; j < n; ++j) {
    double mean = 0, dev = 0;
    for (int i = 0; i < p; ++i) mean += rows[i][j];
    mean /= dp;
    for (int i = 0; i < p; ++i) dev += std::fabs(rows[i][j] - mean);
    const double diff = tp[j] - mean, v = diff / (0.015 * (dev / dp));
    out[j] = (diff != 0.0) & (dev != 0.0) ? v : 0.0;
  }
}

struct CciStream final : Stream {
  CciStream(int p, std::size_t n) : Stream(n, 1), p(p), ring(p, n), tp(n), rows(p) {}
  void update(const PanelBar& b) override {
    for (std::size_t j = 0; j < n_; ++j) tp[j] = (b.high[j] + b.low[j] + b.close[j]) / 3.0;
    ring.push(tp.data());
    if (++seen_ < std::size_t(p)) return;
    for (int i = 0; i < p; ++i) rows[std::size_t(i)] = ring.at(std::size_t(i));
    cci_window(n_, p, rows.data(), tp.data(), outputs_[0].data());
  }
  int p;
  Ring ring;
  std::vector<double> tp;
  std::vector<const double*> rows;
};

struct RocStream final : Stream {
  RocStream(int kind, int p, std::size_t n) : Stream(n, 1), kind(kind), p(p), ring(p + 1, n) {}
  void update(const PanelBar& b) override {
    ring.push(b.close.data());
    if (seen_++ < std::size_t(p)) return;
    const double* prev = ring.at(p);
    for (std::size_t j = 0; j < n_; ++j) {
      double v = b.close[j];
      outputs_[0][j] = kind == 0 ? v - prev[j] : (prev[j] != 0.0 ? (v / prev[j] - 1.0) * 100.0 : 0.0);
    }
  }
  int kind, p;
  Ring ring;
};

// The window's extremes for instruments [0, n): rows_h[a] / rows_l[a] are the highs and lows `a` bars
// ago, a < span. Scanning from the oldest row to the newest with >= / <= gives ties to the newest,
// as TA-Lib's scans do. Eight instruments at a time with the extremes held in registers, so the
// span × n comparisons run as span × n/8 vector ops (about 0.5 µs for 14 × 500 with AVX-512); the
// clones give that to CPUs with AVX2 or AVX-512 without requiring either.
SEXTANT_SIMD_CLONES void window_extremes(
    const double* const* rows_h, const double* const* rows_l, int span, std::size_t n, double* __restrict hi,
    double* __restrict lo, double* __restrict hi_age, double* __restrict lo_age) {
  std::size_t j0 = 0;
  for (; j0 + 8 <= n; j0 += 8) {
    V8 h, l, rh, rl;
    std::memcpy(&h, rows_h[span - 1] + j0, sizeof h);
    std::memcpy(&l, rows_l[span - 1] + j0, sizeof l);
    V8 ha = V8{} + double(span - 1), la = ha;
    for (int a = span - 2; a >= 0; --a) {
      std::memcpy(&rh, rows_h[a] + j0, sizeof rh);
      std::memcpy(&rl, rows_l[a] + j0, sizeof rl);
      const V8 age = V8{} + double(a);
      const auto th = rh >= h, tl = rl <= l;
      h = th ? rh : h, ha = th ? age : ha;
      l = tl ? rl : l, la = tl ? age : la;
    }
    std::memcpy(hi + j0, &h, sizeof h), std::memcpy(lo + j0, &l, sizeof l);
    std::memcpy(hi_age + j0, &ha, sizeof ha), std::memcpy(lo_age + j0, &la, sizeof la);
  }
  for (std::size_t j = j0; j < n; ++j) {
    double h = rows_h[span - 1][j], l = rows_l[span - 1][j], ha = span - 1, la = span - 1;
    for (int a = span - 2; a >= 0; --a) {
      if (rows_h[a][j] >= h) h = rows_h[a][j], ha = a;
      if (rows_l[a][j] <= l) l = rows_l[a][j], la = a;
    }
    hi[j] = h, lo[j] = l, hi_age[j] = ha, lo_age[j] = la;
  }
}

// A window's highest high and lowest low, with the age of the newest bar holding each (Aroon needs
// it), recomputed over the whole window each bar by window_extremes. (Kept incrementally, with a
// rescan when an extreme leaves the window, it cost 7 µs for 500 instruments: the rescans' compares
// are unpredictable branches. A van Herk/Gil-Werman variant's once-per-block pass made p99 worse.)
struct WindowHighLow {
  WindowHighLow(int p, std::size_t n) : p(p), highs(p, n), lows(p, n), hi(n), lo(n), hi_age(n), lo_age(n), rows_h(p), rows_l(p) {}
  void push(const PanelBar& b) {
    highs.push(b.high.data());
    lows.push(b.low.data());
    ++seen;
  }
  void compute(std::size_t n) {
    const int span = int(std::min<std::size_t>(seen, std::size_t(p)));
    for (int a = 0; a < span; ++a) rows_h[std::size_t(a)] = highs.at(std::size_t(a)), rows_l[std::size_t(a)] = lows.at(std::size_t(a));
    window_extremes(rows_h.data(), rows_l.data(), span, n, hi.data(), lo.data(), hi_age.data(), lo_age.data());
  }
  int p;
  std::size_t seen = 0;
  Ring highs, lows;
  std::vector<double> hi, lo;
  std::vector<double> hi_age, lo_age;  //!< whole numbers
  std::vector<const double*> rows_h, rows_l;
};

struct WillrStream final : Stream {
  WillrStream(int p, std::size_t n) : Stream(n, 1), p(p), w(p, n) {}
  void update(const PanelBar& b) override {
    w.push(b);
    w.compute(n_);
    if (++seen_ < std::size_t(p)) return;
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {  // computed unconditionally, then selected: vectorises
      const double d = (w.hi[j] - w.lo[j]) / -100.0, v = (w.hi[j] - b.close[j]) / d;
      out[j] = d != 0.0 ? v : 0.0;
    }
  }
  int p;
  WindowHighLow w;
};

// Fast %K of every instrument from its window high/low: computed unconditionally, then selected, so
// the loop vectorises.
void fast_k_row(const WindowHighLow& w, const double* close, std::size_t n, double* k) {
  for (std::size_t j = 0; j < n; ++j) {
    const double d = w.hi[j] - w.lo[j], v = (close[j] - w.lo[j]) / d * 100.0;
    k[j] = d != 0.0 ? v : 0.0;
  }
}

struct ObvStream final : Stream {
  explicit ObvStream(std::size_t n) : Stream(n, 1), obv(n), prev(n) {}
  void update(const PanelBar& b) override {
    const bool first = seen_++ == 0;
    double* out = outputs_[0].data();
    if (first) std::copy(b.volume.begin(), b.volume.begin() + long(n_), obv.begin());
    else
      for (std::size_t j = 0; j < n_; ++j) {  // ± volume or +0.0 (which leaves the sum unchanged)
        const double v = b.volume[j], c = b.close[j];
        obv[j] += c > prev[j] ? v : (c < prev[j] ? -v : 0.0);
      }
    std::copy(b.close.begin(), b.close.begin() + long(n_), prev.begin());
    std::copy(obv.begin(), obv.end(), out);
  }
  std::vector<double> obv, prev;
};

// MFI's loops, as free functions so that they vectorise (see dx_step).
SEXTANT_SIMD_CLONES void money_flows(std::size_t n, bool any, const double* __restrict hi, const double* __restrict lo,
                                     const double* __restrict cl, const double* __restrict vol,
                                     double* __restrict prev_tp, double* __restrict fp, double* __restrict fn) {
  for (std::size_t j = 0; j < n; ++j) {
    const double tp = (hi[j] + lo[j] + cl[j]) / 3.0, flow = tp * vol[j];
    fp[j] = any & (tp > prev_tp[j]) ? flow : 0.0;
    fn[j] = any & (tp < prev_tp[j]) ? flow : 0.0;
    prev_tp[j] = tp;
  }
}

SEXTANT_SIMD_CLONES void add_flows(std::size_t n, const double* __restrict fp, const double* __restrict fn,
                                   double* __restrict ps, double* __restrict ns) {
  for (std::size_t j = 0; j < n; ++j) ps[j] += fp[j], ns[j] += fn[j];
}

// MFI from the window's sums, then the flows leaving the window next (po, no) come off them.
SEXTANT_SIMD_CLONES void mfi_out(std::size_t n, const double* __restrict po, const double* __restrict no,
                                 double* __restrict ps, double* __restrict ns, double* __restrict out) {
  for (std::size_t j = 0; j < n; ++j) {  // computed unconditionally, then selected
    const double total = ps[j] + ns[j], v = 100.0 * (ps[j] / total);
    out[j] = total < 1.0 ? 0.0 : v;
    ps[j] -= po[j];
    ns[j] -= no[j];
  }
}

struct MfiStream final : Stream {
  MfiStream(int p, std::size_t n) : Stream(n, 1), p(p), pos(p, n), neg(p, n), prev_tp(n), fp(n), fn(n), ps(n, 0.0), ns(n, 0.0) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    money_flows(n_, t > 0, b.high.data(), b.low.data(), b.close.data(), b.volume.data(), prev_tp.data(), fp.data(),
                fn.data());
    pos.push(fp.data());
    neg.push(fn.data());
    if (t == 0) return;
    add_flows(n_, fp.data(), fn.data(), ps.data(), ns.data());
    if (t < std::size_t(p)) return;
    mfi_out(n_, pos.at(p - 1), neg.at(p - 1), ps.data(), ns.data(), outputs_[0].data());
  }
  int p;
  Ring pos, neg;
  std::vector<double> prev_tp, fp, fn, ps, ns;
};

struct AroonStream final : Stream {
  AroonStream(int p, std::size_t n) : Stream(n, 2), p(p), w(p + 1, n) {}
  void update(const PanelBar& b) override {
    w.push(b);
    w.compute(n_);
    if (seen_++ < std::size_t(p)) return;
    const double factor = 100.0 / p;
    for (std::size_t j = 0; j < n_; ++j) {
      outputs_[0][j] = factor * double(p - w.lo_age[j]);
      outputs_[1][j] = factor * double(p - w.hi_age[j]);
    }
  }
  int p;
  WindowHighLow w;
};

// MA types 0-4 (SMA EMA WMA DEMA TEMA) with period >= 2: the named averages' streams (overlap.cpp's
// moving_average runs the same kernels); null for the others.
bool streamed_ma_type(int ma_type) { return ma_type >= 0 && ma_type <= 4; }
std::unique_ptr<Stream> ma_stream(int period, int ma_type, std::size_t n) {
  if (period < 2) return nullptr;
  switch (ma_type) {
    case 0: return std::make_unique<SmaStream>(period, n);
    case 1: return std::make_unique<EmaStream>(period, n);
    case 2: return std::make_unique<WmaStream>(period, n);
    case 3: return std::make_unique<MultiEmaStream>(period, 2, n);
    case 4: return std::make_unique<MultiEmaStream>(period, 3, n);
  }
  return nullptr;
}

// APO / PPO: fast minus slow moving average (as a percentage of the slow one for PPO). EMAs are
// seeded like MACD's, both on the slow one's first row, so MacdStream's two EMAs serve; the other
// types are independent averages from row 0.
struct PoStream final : Stream {
  PoStream(int fast, int slow, int ma_type, bool percent, std::size_t n)
      : Stream(n, 1), percent(percent), start(std::size_t(k::ma_lookback(std::max(fast, slow), ma_type))) {
    if (slow < fast) std::swap(fast, slow);
    if (ma_type == 1) macd = std::make_unique<MacdStream>(fast, slow, 1, n);
    else f = ma_stream(fast, ma_type, n), s = ma_stream(slow, ma_type, n);
  }
  void update(const PanelBar& b) override {
    if (macd) macd->update(b);
    else f->update(b), s->update(b);
    if (seen_++ < start) return;
    for (std::size_t j = 0; j < n_; ++j) {
      const double sv = macd ? macd->es[j] : s->output(0)[j], d = macd ? macd->line[j] : f->output(0)[j] - sv;
      outputs_[0][j] = percent ? (k::is_zero(sv) ? 0.0 : d / sv * 100.0) : d;
    }
  }
  bool percent;
  std::size_t start;
  std::unique_ptr<MacdStream> macd;
  std::unique_ptr<Stream> f, s;
};

// BBANDS around a non-SMA middle: the MA's stream for the middle, VAR's for the deviation.
struct BbandsMaStream final : Stream {
  BbandsMaStream(int p, double up, double dn, int ma_type, std::size_t n)
      : Stream(n, 3), up(up), dn(dn), start(std::size_t(k::ma_lookback(p, ma_type))), mid(ma_stream(p, ma_type, n)),
        var(false, p, 1.0, n) {}
  void update(const PanelBar& b) override {
    mid->update(b);
    var.update(b);
    if (seen_++ < start) return;
    for (std::size_t j = 0; j < n_; ++j) {
      const double m = mid->output(0)[j], v = var.output(0)[j];
      const double sd = v > 0.00000001 ? std::sqrt(v) : 0.0;
      outputs_[0][j] = m + sd * up;
      outputs_[1][j] = m;
      outputs_[2][j] = m - sd * dn;
    }
  }
  double up, dn;
  std::size_t start;
  std::unique_ptr<Stream> mid;
  VarStream var;
};

// A moving average of a derived series (fast %K, slow %K), fed a panel row at a time from the
// series' first valid row: the named average's stream, or the row itself for a period of 1 (TA-Lib's
// MA copies its input then).
class MaFeed {
 public:
  MaFeed(int period, int ma_type, std::size_t n)
      : s_(ma_stream(period, ma_type, n)), lookback_(std::size_t(k::ma_lookback(period, ma_type))) {}
  //! Feeds one row; true once the average has a value (value() then holds it, until the next push).
  bool push(std::span<const double> x) {
    if (!s_) {
      last_ = x;
      return true;
    }
    s_->update(PanelBar{x, x, x, x, {}});
    return s_->bars_seen() > lookback_;
  }
  std::span<const double> value() const { return s_ ? s_->output(0) : last_; }

 private:
  std::unique_ptr<Stream> s_;
  std::size_t lookback_;
  std::span<const double> last_;
};

// STOCH: fast %K, then its average (slow %K), then that one's (slow %D), each fed from its input's
// first valid row, as the batch kernel starts them.
struct StochStream final : Stream {
  StochStream(int fk, int sk, int sk_type, int sd, int sd_type, std::size_t n)
      : Stream(n, 2), fk(fk), w(fk, n), k_(n), slow_k(sk, sk_type, n), slow_d(sd, sd_type, n) {}
  void update(const PanelBar& b) override {
    w.push(b);
    w.compute(n_);
    if (++seen_ < std::size_t(fk)) return;
    fast_k_row(w, b.close.data(), n_, k_.data());
    if (!slow_k.push(k_) || !slow_d.push(slow_k.value())) return;
    std::copy_n(slow_k.value().begin(), n_, outputs_[0].begin());
    std::copy_n(slow_d.value().begin(), n_, outputs_[1].begin());
  }
  int fk;
  WindowHighLow w;
  std::vector<double> k_;
  MaFeed slow_k, slow_d;
};

// STOCHF: fast %K and its average (fast %D), of the high/low/close bars, or of an RSI series for
// STOCHRSI (its high, low and close are all the RSI, from the RSI's first value on).
struct StochfStream final : Stream {
  StochfStream(int fk, int fd, int fd_type, std::size_t n, int rsi_period = 0)
      : Stream(n, 2), fk(fk), rsi_period(rsi_period), w(fk, n), k_(n), fast_d(fd, fd_type, n) {
    if (rsi_period > 0) rsi = std::make_unique<RsiStream>(rsi_period, n);
  }
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    PanelBar in = b;
    if (rsi) {
      rsi->update(b);
      if (t < std::size_t(rsi_period)) return;
      std::span<const double> r = rsi->output(0);
      in = PanelBar{r, r, r, r, {}};
    }
    w.push(in);
    w.compute(n_);
    if (w.seen < std::size_t(fk)) return;
    fast_k_row(w, in.close.data(), n_, k_.data());
    if (!fast_d.push(k_)) return;
    outputs_[0] = k_;
    std::copy_n(fast_d.value().begin(), n_, outputs_[1].begin());
  }
  int fk, rsi_period;
  std::unique_ptr<RsiStream> rsi;
  WindowHighLow w;
  std::vector<double> k_;
  MaFeed fast_d;
};

// MACDEXT: the difference of two moving averages of any types, and its own average as the signal.
// The batch kernel starts both lines on the slower one's first row: an EMA-type line (EMA, DEMA,
// TEMA) is seeded there, so its stream is fed from its lookback before that row; an SMA or WMA line
// runs from row 0 (its running sums round from there). The signal averages the line from that row.
struct MacdextStream final : Stream {
  MacdextStream(int fast, int fast_type, int slow, int slow_type, int signal, int signal_type, std::size_t n)
      : Stream(n, 3),
        start(std::size_t(std::max(k::ma_lookback(fast, fast_type), k::ma_lookback(slow, slow_type)))),
        fast_from(first_row(fast, fast_type)), slow_from(first_row(slow, slow_type)), f(fast, fast_type, n),
        s(slow, slow_type, n), sig(signal, signal_type, n), line(n) {}
  void update(const PanelBar& b) override {
    const std::size_t t = seen_++;
    const bool f_ok = t >= fast_from && f.push(b.close), s_ok = t >= slow_from && s.push(b.close);
    if (t < start || !f_ok || !s_ok) return;
    for (std::size_t j = 0; j < n_; ++j) line[j] = f.value()[j] - s.value()[j];
    if (!sig.push(line)) return;
    for (std::size_t j = 0; j < n_; ++j) {
      outputs_[0][j] = line[j];
      outputs_[1][j] = sig.value()[j];
      outputs_[2][j] = line[j] - sig.value()[j];
    }
  }
  std::size_t first_row(int period, int type) const {
    const bool ema_type = period > 1 && (type == 1 || type == 3 || type == 4);
    return ema_type ? start - std::size_t(k::ma_lookback(period, type)) : 0;
  }
  std::size_t start, fast_from, slow_from;
  MaFeed f, s, sig;
  std::vector<double> line;
};

// The Hilbert-transform functions: cycle.hpp's per-row state machine (the batch kernel's own code)
// on a ring of each instrument's last 64 closes.
template <class Function>
class CycleStream final : public Stream {
 public:
  CycleStream(const FunctionDef& f, std::span<const double> params, std::size_t n)
      : Stream(n, f.outputs.size()), fns_(n, Function(params.data())), closes_(n) {}
  void update(const PanelBar& b) override {
    for (std::size_t j = 0; j < n_; ++j) {
      closes_[j].v[seen_ % cycle::kHistory] = b.close[j];
      fns_[j].row(closes_[j], seen_, [&](int k, double v) { outputs_[k][j] = v; });
    }
    ++seen_;
  }

 private:
  struct Closes {
    double v[cycle::kHistory] = {};
    double operator[](std::size_t row) const { return v[row % cycle::kHistory]; }
  };
  std::vector<Function> fns_;
  std::vector<Closes> closes_;
};

// Every other function: each instrument keeps its bars, and each update reruns the batch kernel so
// the emitted value is the batch value by construction. Functions whose row t depends only on a
// bounded window recompute over the last `window` bars (O(lookback) per bar, at most 2·window bars
// kept); recursive ones (TRIMA as the MA type of MA, APO, PPO, BBANDS, MACDEXT or the stochastics)
// replay the instrument's history (O(T) per bar).
class GenericStream final : public Stream {
 public:
  GenericStream(const FunctionDef& f, std::vector<double> params, std::size_t n, bool windowed)
      : Stream(n, f.outputs.size()), f_(f), params_(std::move(params)), windowed_(windowed),
        window_(std::size_t(2 * std::max(0, f.lookback(params_.data())) + 16)), hist_(n) {}
  void update(const PanelBar& b) override {
    ++seen_;
    for (std::size_t j = 0; j < n_; ++j) {
      auto& h = hist_[j];
      auto push = [&](std::vector<double>& v, std::span<const double> s) { v.push_back(s.empty() ? 0.0 : s[j]); };
      push(h.open, b.open), push(h.high, b.high), push(h.low, b.low), push(h.close, b.close), push(h.volume, b.volume);
      push(h.real1, b.real1);
      // A windowed function keeps at most 2·window bars: past that, the oldest are dropped (counted
      // in h.dropped), so a long-running stream's memory stays bounded.
      if (windowed_ && h.close.size() > 2 * window_) {
        const auto cut = long(h.close.size() - window_);
        for (auto* v : {&h.open, &h.high, &h.low, &h.close, &h.volume, &h.real1})
          v->erase(v->begin(), v->begin() + cut);
        h.dropped += std::size_t(cut);
      }
      const std::size_t len = h.close.size(), from = windowed_ && len > window_ ? len - window_ : 0;
      auto tail = [&](const std::vector<double>& v) { return std::span<const double>(v.data() + from, len - from); };
      Inputs in;
      in.open = tail(h.open), in.high = tail(h.high), in.low = tail(h.low), in.close = tail(h.close);
      in.volume = tail(h.volume), in.real = in.close, in.real1 = b.real1.empty() ? in.close : tail(h.real1);
      Result r = run(f_, in, params_);
      for (std::size_t k = 0; k < r.outputs.size(); ++k) {
        double v = r.outputs[k].back();
        // Index outputs count from the series' first row, not the window's.
        if (f_.integer_output && f_.name.find("INDEX") != std::string_view::npos && std::isfinite(v))
          v += double(h.dropped + from);
        outputs_[k][j] = v;
      }
    }
  }

 private:
  struct History {
    std::vector<double> open, high, low, close, volume, real1;
    std::size_t dropped = 0;  //!< bars no longer kept (windowed functions)
  };
  const FunctionDef& f_;
  std::vector<double> params_;
  bool windowed_;
  std::size_t window_;
  std::vector<History> hist_;
};

// Functions whose value at a row depends only on the bars of a window covering their lookback.
bool finite_memory(std::string_view name, std::span<const double> params, const FunctionDef& f) {
  static const char* names[] = {"ADD", "DIV", "MULT", "SUB", "MAX", "MIN", "SUM", "MAXINDEX", "MININDEX", "MINMAX",
                                "MINMAXINDEX", "ACOS", "ASIN", "ATAN", "CEIL", "COS", "COSH", "EXP", "FLOOR", "LN",
                                "LOG10", "SIN", "SINH", "SQRT", "TAN", "TANH", "AVGPRICE", "MEDPRICE", "TYPPRICE",
                                "WCLPRICE", "MIDPOINT", "MIDPRICE", "ROCP", "ROCR", "ROCR100", "BOP", "AROONOSC",
                                "IMI", "ULTOSC", "AVGDEV", "LINEARREG", "LINEARREG_ANGLE", "LINEARREG_INTERCEPT",
                                "LINEARREG_SLOPE", "TSF", "BETA", "CORREL", "STOCHF", "ACCBANDS", "TRIMA", "MA",
                                "APO", "PPO", "MINUS_DM", "PLUS_DM"};
  if (name.rfind("CDL", 0) == 0) return true;  // candle averages look back a fixed number of candles
  bool listed = false;
  for (const char* n : names) listed = listed || name == n;
  if (!listed) return false;
  if (name == "MINUS_DM" || name == "PLUS_DM") return params[0] <= 1;  // raw DM only; smoothed is recursive
  for (std::size_t k = 0; k < f.params.size(); ++k)  // SMA-type averages only
    if (f.params[k].name.find("MAType") != std::string_view::npos && params[k] != 0) return false;
  return true;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = char(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Builds the stream, or returns null when there is none for these parameters.
std::unique_ptr<Stream> build(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  const std::string name = upper(f.name);
  auto i = [&](std::size_t k) { return int(p[k]); };
  if (name == "SMA") return std::make_unique<SmaStream>(i(0), n);
  if (name == "EMA") return std::make_unique<EmaStream>(i(0), n);
  if (name == "WMA") return std::make_unique<WmaStream>(i(0), n);
  if (name == "DEMA") return std::make_unique<MultiEmaStream>(i(0), 2, n);
  if (name == "TEMA") return std::make_unique<MultiEmaStream>(i(0), 3, n);
  if (name == "RSI") return std::make_unique<RsiStream>(i(0), n);
  if (name == "CMO") return std::make_unique<RsiStream>(i(0), n, true);
  if (name == "VAR") return std::make_unique<VarStream>(false, i(0), 1.0, n);
  if (name == "STDDEV") return std::make_unique<VarStream>(true, i(0), p[1], n);
  if (name == "AD") return std::make_unique<AdStream>(n);
  if (name == "ADOSC") return std::make_unique<AdStream>(i(0), i(1), n);
  if (name == "MACD") return std::make_unique<MacdStream>(i(0), i(1), i(2), n);
  if (name == "MACDFIX") {  // MACD 12/26 with TA-Lib's fixed smoothing constants
    auto s = std::make_unique<MacdStream>(12, 26, i(0), n);
    s->kf = 0.15, s->ks = 0.075;
    return s;
  }
  if (name == "MA") return ma_stream(i(0), i(1), n);
  if (name == "MACDEXT" && streamed_ma_type(i(1)) && streamed_ma_type(i(3)) && streamed_ma_type(i(5)))
    return std::make_unique<MacdextStream>(i(0), i(1), i(2), i(3), i(4), i(5), n);
  if ((name == "APO" || name == "PPO") && streamed_ma_type(i(2)))
    return std::make_unique<PoStream>(i(0), i(1), i(2), name == "PPO", n);
  if (name == "BBANDS" && i(3) != 0 && streamed_ma_type(i(3)))
    return std::make_unique<BbandsMaStream>(i(0), p[1], p[2], i(3), n);
  if (name == "BBANDS" && i(3) == 0) return std::make_unique<BbandsStream>(i(0), p[1], p[2], n);
  if (name == "TRANGE") return std::make_unique<AtrStream>(AtrStream::trange, 1, n);
  if (name == "ATR") return std::make_unique<AtrStream>(AtrStream::atr, i(0), n);
  if (name == "NATR") return std::make_unique<AtrStream>(AtrStream::natr, i(0), n);
  if (name == "ADX") return std::make_unique<AdxStream>(i(0), n);
  if (name == "CCI") return std::make_unique<CciStream>(i(0), n);
  if (name == "KAMA") return std::make_unique<KamaStream>(i(0), n);
  if (name == "ADXR") return std::make_unique<AdxrStream>(i(0), n);
  if (name == "STOCHRSI" && streamed_ma_type(i(3))) return std::make_unique<StochfStream>(i(1), i(2), i(3), n, i(0));
  if (name == "STOCHF" && streamed_ma_type(i(2))) return std::make_unique<StochfStream>(i(0), i(1), i(2), n);
  if (name == "SAR") return std::make_unique<SarStream>(k::SarState(0.0, 0.0, p[0], p[0], p[1], p[0], p[0], p[1], false), n);
  if (name == "SAREXT")
    return std::make_unique<SarStream>(k::SarState(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], true), n);
  if (name == "TRIX") return std::make_unique<TrixStream>(i(0), n);
  if (name == "T3") return std::make_unique<T3Stream>(i(0), p[1], n);
  if (name == "PLUS_DM" && i(0) > 1) return std::make_unique<DmStream>(DmStream::plus_dm, i(0), n);
  if (name == "MINUS_DM" && i(0) > 1) return std::make_unique<DmStream>(DmStream::minus_dm, i(0), n);
  if (name == "PLUS_DI" && i(0) > 1) return std::make_unique<DmStream>(DmStream::plus_di, i(0), n);
  if (name == "MINUS_DI" && i(0) > 1) return std::make_unique<DmStream>(DmStream::minus_di, i(0), n);
  if (name == "DX" && i(0) > 1) return std::make_unique<DmStream>(DmStream::dx, i(0), n);
  if (name == "MOM") return std::make_unique<RocStream>(0, i(0), n);
  if (name == "ROC") return std::make_unique<RocStream>(1, i(0), n);
  if (name == "WILLR") return std::make_unique<WillrStream>(i(0), n);
  if (name == "STOCH" && streamed_ma_type(i(2)) && streamed_ma_type(i(4)))
    return std::make_unique<StochStream>(i(0), i(1), i(2), i(3), i(4), n);
  if (name == "OBV") return std::make_unique<ObvStream>(n);
  if (name == "MFI") return std::make_unique<MfiStream>(i(0), n);
  if (name == "AROON") return std::make_unique<AroonStream>(i(0), n);
  using namespace cycle;
  if (name == "HT_DCPERIOD") return std::make_unique<CycleStream<DcPeriod>>(f, p, n);
  if (name == "HT_PHASOR") return std::make_unique<CycleStream<Phasor>>(f, p, n);
  if (name == "HT_DCPHASE") return std::make_unique<CycleStream<PhaseFamily<PhaseKind::dc_phase>>>(f, p, n);
  if (name == "HT_SINE") return std::make_unique<CycleStream<PhaseFamily<PhaseKind::sine>>>(f, p, n);
  if (name == "HT_TRENDMODE") return std::make_unique<CycleStream<PhaseFamily<PhaseKind::trend_mode>>>(f, p, n);
  if (name == "HT_TRENDLINE") return std::make_unique<CycleStream<Trendline>>(f, p, n);
  if (name == "MAMA") return std::make_unique<CycleStream<Mama>>(f, p, n);
  return nullptr;
}

}  // namespace

bool has_fast_stream(const FunctionDef& f, std::span<const double> params) { return build(f, params, 1) != nullptr; }

void update_all(std::span<const std::unique_ptr<Stream>> streams, const PanelBar& bar) {
  // One task per stream: streams share nothing, and ~20 tasks keep both cores busy for one bar.
  tbb::parallel_for(std::size_t(0), streams.size(), [&](std::size_t i) { streams[i]->update(bar); });
}

std::unique_ptr<Stream> make_stream(const FunctionDef& f, std::span<const double> params, std::size_t instruments) {
  if (params.size() != f.params.size())
    fail(ErrorCode::invalid_argument, "params", "{} takes {} parameters, got {}", f.name, f.params.size(), params.size());
  // Same range checks as batch mode.
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto& d = f.params[k];
    if (!std::isfinite(params[k]) || params[k] < d.min || params[k] > d.max || (d.integer && params[k] != std::floor(params[k])))
      fail(ErrorCode::invalid_argument, std::string(d.name), "{}: {} must be {} in [{}, {}], got {}", f.name, d.name,
           d.integer ? "an integer" : "a number", d.min, d.max, params[k]);
  }
  if (auto s = build(f, params, instruments)) return s;
  const std::string name = upper(f.name);
  return std::make_unique<GenericStream>(f, std::vector<double>(params.begin(), params.end()), instruments,
                                         finite_memory(name, params, f));
}

}  // namespace sextant::analytics::ta
