// Streams of the statistic functions (VAR STDDEV, the LINEARREG family, TSF) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

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

// The LINEARREG family and TSF: the least squares of the last p closes, recomputed each bar over the
// window in the batch kernel's order (i counting back from the newest bar), across instruments.
struct LinregStream final : Stream {
  enum What { value, angle, intercept, slope, forecast };
  LinregStream(What what, int p, std::size_t n) : Stream(n, 1), what(what), p(p), ring(std::size_t(p), n), sum_y(n), sum_xy(n) {}
  void update(const PanelBar& b) override {
    ring.push(b.close.data());
    if (++seen_ < std::size_t(p)) return;
    const double nd = p, sum_x = nd * (nd - 1) * 0.5, sum_x2 = nd * (nd - 1) * (2.0 * nd - 1) / 6.0;
    const double divisor = sum_x * sum_x - p * sum_x2;
    std::fill(sum_y.begin(), sum_y.end(), 0.0);
    std::fill(sum_xy.begin(), sum_xy.end(), 0.0);
    for (int i = 0; i < p; ++i) accumulate(ring.at(std::size_t(i)), double(i), n_, sum_y.data(), sum_xy.data());
    double* out = outputs_[0].data();
    for (std::size_t j = 0; j < n_; ++j) {
      const double m = (p * sum_xy[j] - sum_x * sum_y[j]) / divisor, c = (sum_y[j] - m * sum_x) / p;
      switch (what) {
        case value: out[j] = c + m * (p - 1); break;
        case angle: out[j] = std::atan(m) * (180.0 / 3.14159265358979323846); break;
        case intercept: out[j] = c; break;
        case slope: out[j] = m; break;
        case forecast: out[j] = c + m * p; break;
      }
    }
  }
  static void accumulate(const double* __restrict y, double i, std::size_t n, double* __restrict sy, double* __restrict sxy) {
    for (std::size_t j = 0; j < n; ++j) sy[j] += y[j], sxy[j] += i * y[j];
  }
  What what;
  int p;
  Ring ring;
  std::vector<double> sum_y, sum_xy;
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
  const auto what = f.name == "LINEARREG"             ? LinregStream::value
                    : f.name == "LINEARREG_ANGLE"     ? LinregStream::angle
                    : f.name == "LINEARREG_INTERCEPT" ? LinregStream::intercept
                    : f.name == "LINEARREG_SLOPE"     ? LinregStream::slope
                                                      : LinregStream::forecast;  // TSF
  return std::make_unique<LinregStream>(what, i(p, 0), n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
