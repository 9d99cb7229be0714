// Streams of the Hilbert-transform functions (HT_DCPERIOD HT_DCPHASE HT_PHASOR HT_SINE HT_TRENDMODE HT_TRENDLINE MAMA) (ta_stream.hpp): state machines that give the batch kernel's value at every row.
#include <cmath>
#include <limits>
#include <memory>

#include "cycle.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace streaming {
namespace {

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

}  // namespace
}  // namespace streaming

namespace streams {
using namespace streaming;

std::unique_ptr<Stream> ht_dcperiod(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::DcPeriod>>(f, p, n);
}

std::unique_ptr<Stream> ht_phasor(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::Phasor>>(f, p, n);
}

std::unique_ptr<Stream> ht_dcphase(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::PhaseFamily<cycle::PhaseKind::dc_phase>>>(f, p, n);
}

std::unique_ptr<Stream> ht_sine(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::PhaseFamily<cycle::PhaseKind::sine>>>(f, p, n);
}

std::unique_ptr<Stream> ht_trendmode(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::PhaseFamily<cycle::PhaseKind::trend_mode>>>(f, p, n);
}

std::unique_ptr<Stream> ht_trendline(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::Trendline>>(f, p, n);
}

std::unique_ptr<Stream> mama(const FunctionDef& f, std::span<const double> p, std::size_t n) {
  return std::make_unique<CycleStream<cycle::Mama>>(f, p, n);
}

}  // namespace streams
}  // namespace sextant::analytics::ta
