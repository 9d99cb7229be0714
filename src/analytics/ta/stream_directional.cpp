// Streams of the directional movement indicators (ADX ADXR +DM -DM +DI -DI DX) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <cmath>
#include <limits>
#include <memory>

#include "../simd.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

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

}  // namespace
}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> adx(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AdxStream>(i(p, 0), n);
}

std::unique_ptr<Stream> adxr(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AdxrStream>(i(p, 0), n);
}

std::unique_ptr<Stream> plus_dm(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return i(p, 0) > 1 ? std::make_unique<DmStream>(DmStream::plus_dm, i(p, 0), n) : nullptr;
}

std::unique_ptr<Stream> minus_dm(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return i(p, 0) > 1 ? std::make_unique<DmStream>(DmStream::minus_dm, i(p, 0), n) : nullptr;
}

std::unique_ptr<Stream> plus_di(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return i(p, 0) > 1 ? std::make_unique<DmStream>(DmStream::plus_di, i(p, 0), n) : nullptr;
}

std::unique_ptr<Stream> minus_di(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return i(p, 0) > 1 ? std::make_unique<DmStream>(DmStream::minus_di, i(p, 0), n) : nullptr;
}

std::unique_ptr<Stream> dx(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return i(p, 0) > 1 ? std::make_unique<DmStream>(DmStream::dx, i(p, 0), n) : nullptr;
}

}  // namespace streams
}  // namespace sextant::analytics::ta
