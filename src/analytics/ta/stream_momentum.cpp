// Streams of the momentum indicators (RSI CMO MACD MACDFIX MACDEXT APO PPO CCI STOCH STOCHF STOCHRSI TRIX MOM ROC WILLR MFI AROON) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <cstring>

#include "../simd.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

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
    for (std::size_t j = 0; j < n_; ++j) {  // roc_family's formulas: MOM, ROC, ROCP, ROCR, ROCR100
      const double v = b.close[j], q = prev[j];
      double r;
      if (kind == 0) r = v - q;
      else if (kind == 1) r = q != 0.0 ? (v / q - 1.0) * 100.0 : 0.0;
      else if (kind == 2) r = q != 0.0 ? (v - q) / q : 0.0;
      else if (kind == 3) r = q != 0.0 ? v / q : 0.0;
      else r = q != 0.0 ? (v / q) * 100.0 : 0.0;
      outputs_[0][j] = r;
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

// Monotonic deques of one window's candidate extremes, one deque per instrument: values only get
// worse from front to back, so the front is the extreme, and a new value first removes those it
// equals or beats (the newest of equal values is the one kept, as the scans' >= and <= keep it).
// NaN is never a candidate. O(1) amortised per bar, however long the window.
struct ExtremeDeques {
  struct Candidate {
    double value;
    std::int64_t bar;
  };
  struct Ends {
    std::uint32_t head = 0, len = 0;
  };
  // A candidate's value and bar side by side, and an instrument's head and length in one word: a
  // step touches two or three cache lines per instrument, not five (a bar steps 500 such deques
  // per window, with tens of windows in the caches at once).
  ExtremeDeques(std::size_t cap, std::size_t n) : cap(cap), slots(cap * n), ends(n) {}
  //! Bar t's value x for instrument j: drops the candidate from bar t - cap, then adds x. Returns the
  //! front (the extreme; stale when the deque is empty, which only a window of NaN leaves).
  template <bool Max>
  const Candidate& step(std::size_t j, double x, std::int64_t t) {
    Candidate* c = slots.data() + j * cap;
    std::size_t h = ends[j].head, k = ends[j].len;
    if (k && c[h].bar <= t - std::int64_t(cap)) h = h + 1 == cap ? 0 : h + 1, --k;  // candidates are one per bar: one leaves
    if (x == x) {
      auto slot = [&](std::size_t i) { return h + i < cap ? h + i : h + i - cap; };
      while (k && (Max ? c[slot(k - 1)].value <= x : c[slot(k - 1)].value >= x)) --k;
      c[slot(k)] = {x, t}, ++k;
    }
    ends[j] = {std::uint32_t(h), std::uint32_t(k)};
    return c[h];
  }
  std::size_t cap;
  std::vector<Candidate> slots;
  std::vector<Ends> ends;
};

// A window's highest high and lowest low, with the age of the newest bar holding each (Aroon needs
// it). Short windows are rescanned each bar by window_extremes: for p = 14 that is 0.5 µs for 500
// instruments, where keeping them incrementally with a rescan when an extreme leaves cost 7 µs (the
// rescans' compares are unpredictable branches). From kDequeFrom bars the scan reads more than the
// caches hold (200 bars x 500 instruments x 2 series is 1.6 MB a bar, ~90 µs here) and monotonic deques
// take over (p = 200: 16 µs a bar against ~100 µs for the scan; equal at p = 50): the same values and
// ages, the scan's rule for NaN included (an oldest bar of NaN gives NaN with age span - 1; NaN
// elsewhere is passed over). That rule is not TA-Lib's batch, which carries its extreme from bar to
// bar, so with NaN in a window the stream and batch can differ, whichever path runs.
struct WindowHighLow {
  static constexpr int kDequeFrom = 40;
  WindowHighLow(int p, std::size_t n)
      : p(p), highs(p, n), lows(p, n), hi(n), lo(n), hi_age(n), lo_age(n), rows_h(p), rows_l(p),
        top(p >= kDequeFrom ? std::size_t(p) : 0, p >= kDequeFrom ? n : 0),
        bottom(p >= kDequeFrom ? std::size_t(p) : 0, p >= kDequeFrom ? n : 0) {}
  void push(const PanelBar& b) {
    highs.push(b.high.data());
    lows.push(b.low.data());
    ++seen;
  }
  void compute(std::size_t n) {
    const int span = int(std::min<std::size_t>(seen, std::size_t(p)));
    if (p < kDequeFrom) {
      for (int a = 0; a < span; ++a) rows_h[std::size_t(a)] = highs.at(std::size_t(a)), rows_l[std::size_t(a)] = lows.at(std::size_t(a));
      window_extremes(rows_h.data(), rows_l.data(), span, n, hi.data(), lo.data(), hi_age.data(), lo_age.data());
      return;
    }
    const auto t = std::int64_t(seen - 1);
    const double *nh = highs.at(0), *nl = lows.at(0), *oh = highs.at(std::size_t(span - 1)), *ol = lows.at(std::size_t(span - 1));
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t j = 0; j < n; ++j) {
      const auto& h = top.step<true>(j, nh[j], t);
      const auto& l = bottom.step<false>(j, nl[j], t);
      const bool hn = oh[j] != oh[j], ln = ol[j] != ol[j];
      hi[j] = hn ? kNaN : h.value;
      hi_age[j] = hn ? span - 1 : double(t - h.bar);
      lo[j] = ln ? kNaN : l.value;
      lo_age[j] = ln ? span - 1 : double(t - l.bar);
    }
  }
  int p;
  std::size_t seen = 0;
  Ring highs, lows;
  std::vector<double> hi, lo;
  std::vector<double> hi_age, lo_age;  //!< whole numbers
  std::vector<const double*> rows_h, rows_l;
  ExtremeDeques top, bottom;
};

// Fast %K of every instrument from its window high/low: computed unconditionally, then selected, so
// the loop vectorises.
void fast_k_row(const WindowHighLow& w, const double* close, std::size_t n, double* k) {
  for (std::size_t j = 0; j < n; ++j) {
    const double d = w.hi[j] - w.lo[j], v = (close[j] - w.lo[j]) / d * 100.0;
    k[j] = d != 0.0 ? v : 0.0;
  }
}

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

// AROON (down, up), or AROONOSC (up - down) when `osc`.
struct AroonStream final : Stream {
  AroonStream(int p, bool osc, std::size_t n) : Stream(n, osc ? 1 : 2), p(p), osc(osc), w(p + 1, n) {}
  void update(const PanelBar& b) override {
    w.push(b);
    w.compute(n_);
    if (seen_++ < std::size_t(p)) return;
    const double factor = 100.0 / p;
    for (std::size_t j = 0; j < n_; ++j) {
      const double down = factor * double(p - w.lo_age[j]), up = factor * double(p - w.hi_age[j]);
      if (osc) {
        outputs_[0][j] = up - down;
      } else {
        outputs_[0][j] = down;
        outputs_[1][j] = up;
      }
    }
  }
  int p;
  bool osc;
  WindowHighLow w;
};

// WILLR, MIDPRICE and MIDPOINT: values of one window's highest high and lowest low (MIDPOINT's of
// the close). One stream serves any of WILLR and MIDPRICE of one period (output k is whats[k]): they
// read the same window.
struct HighLowStream final : Stream {
  enum What { willr, midprice, midpoint };
  HighLowStream(std::vector<What> whats, int p, std::size_t n) : Stream(n, whats.size()), whats(std::move(whats)), p(p), w(p, n) {}
  void update(const PanelBar& b) override {
    PanelBar hl = b;
    if (whats[0] == midpoint) hl.high = hl.low = b.close;  // MIDPOINT shares with no other
    w.push(hl);
    w.compute(n_);
    if (++seen_ < std::size_t(p)) return;
    for (std::size_t k = 0; k < whats.size(); ++k) {
      double* out = outputs_[k].data();
      if (whats[k] != willr) {
        for (std::size_t j = 0; j < n_; ++j) out[j] = (w.hi[j] + w.lo[j]) / 2.0;
        continue;
      }
      for (std::size_t j = 0; j < n_; ++j) {  // computed unconditionally, then selected: vectorises
        const double d = (w.hi[j] - w.lo[j]) / -100.0, v = (w.hi[j] - b.close[j]) / d;
        out[j] = d != 0.0 ? v : 0.0;
      }
    }
  }
  std::vector<What> whats;
  int p;
  WindowHighLow w;
};

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

}  // namespace
}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> rsi(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RsiStream>(i(p, 0), n);
}

std::unique_ptr<Stream> cmo(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RsiStream>(i(p, 0), n, true);
}

std::unique_ptr<Stream> macd(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<MacdStream>(i(p, 0), i(p, 1), i(p, 2), n);
}

std::unique_ptr<Stream> macdfix(const FunctionDef&, std::span<const double> p, std::size_t n) {
  auto s = std::make_unique<MacdStream>(12, 26, i(p, 0), n);  // MACD 12/26 with TA-Lib's fixed smoothing constants
  s->kf = 0.15, s->ks = 0.075;
  return s;
}

std::unique_ptr<Stream> macdext(const FunctionDef&, std::span<const double> p, std::size_t n) {
  if (!streamed_ma_type(i(p, 1)) || !streamed_ma_type(i(p, 3)) || !streamed_ma_type(i(p, 5))) return nullptr;
  return std::make_unique<MacdextStream>(i(p, 0), i(p, 1), i(p, 2), i(p, 3), i(p, 4), i(p, 5), n);
}

std::unique_ptr<Stream> apo(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return streamed_ma_type(i(p, 2)) ? std::make_unique<PoStream>(i(p, 0), i(p, 1), i(p, 2), false, n) : nullptr;
}

std::unique_ptr<Stream> ppo(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return streamed_ma_type(i(p, 2)) ? std::make_unique<PoStream>(i(p, 0), i(p, 1), i(p, 2), true, n) : nullptr;
}

std::unique_ptr<Stream> cci(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<CciStream>(i(p, 0), n);
}

std::unique_ptr<Stream> stochrsi(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return streamed_ma_type(i(p, 3)) ? std::make_unique<StochfStream>(i(p, 1), i(p, 2), i(p, 3), n, i(p, 0)) : nullptr;
}

std::unique_ptr<Stream> stochf(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return streamed_ma_type(i(p, 2)) ? std::make_unique<StochfStream>(i(p, 0), i(p, 1), i(p, 2), n) : nullptr;
}

std::unique_ptr<Stream> stoch(const FunctionDef&, std::span<const double> p, std::size_t n) {
  if (!streamed_ma_type(i(p, 2)) || !streamed_ma_type(i(p, 4))) return nullptr;
  return std::make_unique<StochStream>(i(p, 0), i(p, 1), i(p, 2), i(p, 3), i(p, 4), n);
}

std::unique_ptr<Stream> trix(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<TrixStream>(i(p, 0), n);
}

std::unique_ptr<Stream> mom(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RocStream>(0, i(p, 0), n);
}

std::unique_ptr<Stream> roc(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RocStream>(1, i(p, 0), n);
}

std::unique_ptr<Stream> willr(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<HighLowStream>(std::vector{HighLowStream::willr}, i(p, 0), n);
}

std::unique_ptr<Stream> mfi(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<MfiStream>(i(p, 0), n);
}

std::unique_ptr<Stream> rocp(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RocStream>(2, i(p, 0), n);
}

std::unique_ptr<Stream> rocr(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RocStream>(3, i(p, 0), n);
}

std::unique_ptr<Stream> rocr100(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<RocStream>(4, i(p, 0), n);
}

std::unique_ptr<Stream> aroon(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AroonStream>(i(p, 0), false, n);
}

std::unique_ptr<Stream> aroonosc(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<AroonStream>(i(p, 0), true, n);
}

std::unique_ptr<Stream> midpoint(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<HighLowStream>(std::vector{HighLowStream::midpoint}, i(p, 0), n);
}

std::unique_ptr<Stream> midprice(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<HighLowStream>(std::vector{HighLowStream::midprice}, i(p, 0), n);
}

std::unique_ptr<Stream> highlow_set(std::span<const FunctionDef* const> fs, std::span<const double> p, std::size_t n) {
  std::vector<HighLowStream::What> whats;
  for (const FunctionDef* f : fs) whats.push_back(f->name == "WILLR" ? HighLowStream::willr : HighLowStream::midprice);
  return std::make_unique<HighLowStream>(std::move(whats), i(p, 0), n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
