// Streams of the volatility and volume indicators (TRANGE ATR NATR AD ADOSC OBV) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <cmath>
#include <limits>
#include <memory>

#include "../simd.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

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

}  // namespace
}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> trange(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AtrStream>(AtrStream::trange, 1, n);
}

std::unique_ptr<Stream> atr(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AtrStream>(AtrStream::atr, i(p, 0), n);
}

std::unique_ptr<Stream> natr(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AtrStream>(AtrStream::natr, i(p, 0), n);
}

std::unique_ptr<Stream> ad(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AdStream>(n);
}

std::unique_ptr<Stream> adosc(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AdStream>(i(p, 0), i(p, 1), n);
}

std::unique_ptr<Stream> obv(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<ObvStream>(n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
