// Streams of the statistic functions (VAR STDDEV, the LINEARREG family, TSF) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "sextant/core/clones.hpp"

#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

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

// Σy and Σi·y over the window of each instrument, rows[i] holding the bar i bars ago, i in order (the
// batch kernel's order). 32 instruments at a time with the sums in registers, so each window row is
// loaded once and no sum goes back to memory between rows (no FMA: this file is built without
// contraction, so every clone rounds as the batch kernel does).
SEXTANT_SIMD_CLONES void window_sums(const double* const* rows, int p, std::size_t n, double* __restrict sy, double* __restrict sxy) {
  constexpr std::size_t B = 32;
  std::size_t j0 = 0;
  for (; j0 + B <= n; j0 += B) {
    double a[B] = {}, b[B] = {};
    for (int i = 0; i < p; ++i) {
      const double* y = rows[i] + j0;
      const double x = double(i);
      for (std::size_t q = 0; q < B; ++q) a[q] += y[q], b[q] += x * y[q];
    }
    for (std::size_t q = 0; q < B; ++q) sy[j0 + q] = a[q], sxy[j0 + q] = b[q];
  }
  for (std::size_t j = j0; j < n; ++j) {
    double a = 0, b = 0;
    for (int i = 0; i < p; ++i) a += rows[i][j], b += double(i) * rows[i][j];
    sy[j] = a, sxy[j] = b;
  }
}

// The LINEARREG family and TSF: the least squares of the last p closes, recomputed each bar over the
// window in the batch kernel's order (i counting back from the newest bar), across instruments. One
// stream serves any of the five at once (output k is whats[k]): they differ only in the last step.
struct LinregStream final : Stream {
  enum What { value, angle, intercept, slope, forecast };
  LinregStream(std::vector<What> whats, int p, std::size_t n)
      : Stream(n, whats.size()), whats(std::move(whats)), p(p), ring(std::size_t(p), n), sum_y(n), sum_xy(n), slope_(n), intercept_(n) {}
  void update(const PanelBar& b) override {
    ring.push(b.close.data());
    if (++seen_ < std::size_t(p)) return;
    const double nd = p, sum_x = nd * (nd - 1) * 0.5, sum_x2 = nd * (nd - 1) * (2.0 * nd - 1) / 6.0;
    const double divisor = sum_x * sum_x - p * sum_x2;
    for (int i = 0; i < p; ++i) rows[std::size_t(i)] = ring.at(std::size_t(i));
    window_sums(rows.data(), p, n_, sum_y.data(), sum_xy.data());
    for (std::size_t j = 0; j < n_; ++j) {  // the fit once, whatever the outputs
      slope_[j] = (p * sum_xy[j] - sum_x * sum_y[j]) / divisor;
      intercept_[j] = (sum_y[j] - slope_[j] * sum_x) / p;
    }
    for (std::size_t k = 0; k < whats.size(); ++k) {
      double* out = outputs_[k].data();
      const double *m = slope_.data(), *c = intercept_.data();
      switch (whats[k]) {
        case value: for (std::size_t j = 0; j < n_; ++j) out[j] = c[j] + m[j] * (p - 1); break;
        case angle: for (std::size_t j = 0; j < n_; ++j) out[j] = std::atan(m[j]) * (180.0 / 3.14159265358979323846); break;
        case intercept: std::copy(c, c + n_, out); break;
        case slope: std::copy(m, m + n_, out); break;
        case forecast: for (std::size_t j = 0; j < n_; ++j) out[j] = c[j] + m[j] * p; break;
      }
    }
  }
  static What what_of(const FunctionDef& f) {
    return f.name == "LINEARREG"             ? value
           : f.name == "LINEARREG_ANGLE"     ? angle
           : f.name == "LINEARREG_INTERCEPT" ? intercept
           : f.name == "LINEARREG_SLOPE"     ? slope
                                             : forecast;  // TSF
  }
  std::vector<What> whats;
  int p;
  Ring ring;
  std::vector<double> sum_y, sum_xy, slope_, intercept_;
  std::vector<const double*> rows = std::vector<const double*>(std::size_t(p));
};

}  // namespace

std::unique_ptr<Stream> variance_stream(int period, std::size_t n) { return std::make_unique<VarStream>(false, period, 1.0, n); }
}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> var(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<VarStream>(false, i(p, 0), 1.0, n);
}

std::unique_ptr<Stream> stddev(const FunctionDef&, std::span<const double> p, std::size_t n) {
  return std::make_unique<VarStream>(true, i(p, 0), p[1], n);
}

std::unique_ptr<Stream> linearreg(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<LinregStream>(std::vector{LinregStream::what_of(f)}, i(p, 0), n);
}

std::unique_ptr<Stream> linearreg_set(std::span<const FunctionDef* const> fs, std::span<const double> p, std::size_t n) {
  std::vector<LinregStream::What> whats;
  for (const FunctionDef* f : fs) whats.push_back(LinregStream::what_of(*f));
  return std::make_unique<LinregStream>(std::move(whats), i(p, 0), n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
