// Streams of the overlap studies (SMA EMA WMA DEMA TEMA MA BBANDS KAMA SAR SAREXT T3) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <cmath>
#include <limits>
#include <memory>

#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

struct SmaStream final : Stream {
  SmaStream(int p, std::size_t n) : Stream(n, 1), s(p, n) {}
  void update(const PanelBar& b) override {
    ++seen_;
    if (s.update(b.close.data())) outputs_[0] = s.value;
  }
  SmaState s;
};

// TRIMA (and MA type 5): the batch kernel's SMA of an SMA, periods (p+1)/2 twice for odd p, p/2 then
// p/2 + 1 for even p, the second fed from the first's first value on.
struct TrimaStream final : Stream {
  TrimaStream(int p, std::size_t n) : Stream(n, 1), s1(p % 2 ? (p + 1) / 2 : p / 2, n), s2(p % 2 ? (p + 1) / 2 : p / 2 + 1, n) {}
  void update(const PanelBar& b) override {
    ++seen_;
    if (s1.update(b.close.data()) && s2.update(s1.value.data())) outputs_[0] = s2.value;
  }
  SmaState s1, s2;
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

// BBANDS around a non-SMA middle: the MA's stream for the middle, VAR's for the deviation.
struct BbandsMaStream final : Stream {
  BbandsMaStream(int p, double up, double dn, int ma_type, std::size_t n)
      : Stream(n, 3), up(up), dn(dn), start(std::size_t(k::ma_lookback(p, ma_type))), mid(ma_stream(p, ma_type, n)),
        var(variance_stream(p, n)) {}
  void update(const PanelBar& b) override {
    mid->update(b);
    var->update(b);
    if (seen_++ < start) return;
    for (std::size_t j = 0; j < n_; ++j) {
      const double m = mid->output(0)[j], v = var->output(0)[j];
      const double sd = v > 0.00000001 ? std::sqrt(v) : 0.0;
      outputs_[0][j] = m + sd * up;
      outputs_[1][j] = m;
      outputs_[2][j] = m - sd * dn;
    }
  }
  double up, dn;
  std::size_t start;
  std::unique_ptr<Stream> mid, var;
};

}  // namespace

std::unique_ptr<Stream> ma_stream(int period, int ma_type, std::size_t n) {
  if (period < 2) return nullptr;
  switch (ma_type) {
    case 0: return std::make_unique<SmaStream>(period, n);
    case 1: return std::make_unique<EmaStream>(period, n);
    case 2: return std::make_unique<WmaStream>(period, n);
    case 3: return std::make_unique<MultiEmaStream>(period, 2, n);
    case 4: return std::make_unique<MultiEmaStream>(period, 3, n);
    case 5: return std::make_unique<TrimaStream>(period, n);
  }
  return nullptr;
}

}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> sma(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<SmaStream>(i(p, 0), n);
}

std::unique_ptr<Stream> trima(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<TrimaStream>(i(p, 0), n);
}

std::unique_ptr<Stream> ema(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<EmaStream>(i(p, 0), n);
}

std::unique_ptr<Stream> wma(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<WmaStream>(i(p, 0), n);
}

std::unique_ptr<Stream> dema(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<MultiEmaStream>(i(p, 0), 2, n);
}

std::unique_ptr<Stream> tema(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<MultiEmaStream>(i(p, 0), 3, n);
}

std::unique_ptr<Stream> ma(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return ma_stream(i(p, 0), i(p, 1), n);
}

std::unique_ptr<Stream> bbands(const FunctionDef&, std::span<const double> p, std::size_t n) {
  if (i(p, 3) == 0) return std::make_unique<BbandsStream>(i(p, 0), p[1], p[2], n);
  if (streamed_ma_type(i(p, 3))) return std::make_unique<BbandsMaStream>(i(p, 0), p[1], p[2], i(p, 3), n);
  return nullptr;
}

std::unique_ptr<Stream> kama(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<KamaStream>(i(p, 0), n);
}

std::unique_ptr<Stream> sar(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<SarStream>(k::SarState(0.0, 0.0, p[0], p[0], p[1], p[0], p[0], p[1], false), n);
}

std::unique_ptr<Stream> sarext(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<SarStream>(k::SarState(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], true), n);
}

std::unique_ptr<Stream> t3(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<T3Stream>(i(p, 0), p[1], n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
