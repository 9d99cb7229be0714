// Streams of the statistic functions (VAR STDDEV) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
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

}  // namespace streams
}  // namespace sextant::analytics::ta
