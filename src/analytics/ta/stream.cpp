// Streaming TA-Lib indicators (ta_stream.hpp): the generic stream, the finite-memory rules, and
// make_stream, which asks each FunctionDef for its own stream (stream_<group>.cpp) and falls back to the
// generic one.
#include "sextant/analytics/ta_stream.hpp"

#include <tbb/parallel_for.h>

#include <cmath>
#include <limits>
#include <string>

#include "sextant/core/error.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {

Stream::Stream(std::size_t instruments, std::size_t outputs)
    : n_(instruments), outputs_(outputs, std::vector<double>(instruments, std::numeric_limits<double>::quiet_NaN())) {}

bool finite_memory(const FunctionDef& f, std::span<const double> params) {
  for (std::size_t k = 0; k < f.params.size(); ++k)  // SMA-type averages only; the others are recursive
    if (f.params[k].name.find("MAType") != std::string_view::npos && params[k] != 0) return false;
  return true;
}

bool finite_memory_unsmoothed(const FunctionDef& f, std::span<const double> params) { return params[0] <= 1; }

namespace {

// Every other function: each instrument keeps its bars, and each update reruns the batch kernel so
// the emitted value is the batch value by construction. Functions whose row t depends only on a
// bounded window recompute over the last `window` bars (O(lookback) per bar, at most 2·window bars
// kept); recursive ones (TRIMA as the MA type of MA, APO, PPO, BBANDS, MACDEXT or the stochastics)
// replay the instrument's history (O(T) per bar). A finite-memory function of lookback 0 (BOP,
// the price transforms, the math operators) depends on its row alone: one batch call over the bar's
// instruments, taken as the rows, answers them all.
class GenericStream final : public Stream {
 public:
  GenericStream(const FunctionDef& f, std::vector<double> params, std::size_t n, bool windowed)
      : Stream(n, f.outputs.size()), f_(f), params_(std::move(params)), windowed_(windowed),
        row_only_(windowed && f.lookback(params_.data()) == 0),
        window_(std::size_t(2 * std::max(0, f.lookback(params_.data())) + 16)), hist_(row_only_ ? 0 : n), zeros_(row_only_ ? n : 0, 0.0) {}
  void update(const PanelBar& b) override {
    ++seen_;
    if (row_only_) {
      auto or_zeros = [&](std::span<const double> s) { return s.empty() ? std::span<const double>(zeros_) : s; };
      Inputs in;
      in.open = or_zeros(b.open), in.high = or_zeros(b.high), in.low = or_zeros(b.low), in.close = or_zeros(b.close);
      in.volume = or_zeros(b.volume), in.real = in.close, in.real1 = b.real1.empty() ? in.close : b.real1;
      Result r = run(f_, in, params_);
      for (std::size_t k = 0; k < r.outputs.size(); ++k) std::copy(r.outputs[k].begin(), r.outputs[k].end(), outputs_[k].begin());
      return;
    }
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
  bool windowed_, row_only_;
  std::size_t window_;
  std::vector<History> hist_;
  std::vector<double> zeros_;  // the inputs a row-only function does not read
};

}  // namespace

bool has_fast_stream(const FunctionDef& f, std::span<const double> params) { return f.stream && f.stream(f, params, 1) != nullptr; }

void update_all(std::span<const std::unique_ptr<Stream>> streams, const PanelBar& bar) {
  // One task per stream: streams share nothing, and ~20 tasks keep both cores busy for one bar.
  tbb::parallel_for(std::size_t(0), streams.size(), [&](std::size_t i) { streams[i]->update(bar); });
}

std::unique_ptr<Stream> make_stream(const FunctionDef& f, std::span<const double> params, std::size_t instruments) {
  check_params(f, params);  // as batch mode
  if (f.stream)
    if (auto s = f.stream(f, params, instruments)) return s;
  const bool windowed = f.finite_memory && f.finite_memory(f, params);
  return std::make_unique<GenericStream>(f, std::vector<double>(params.begin(), params.end()), instruments, windowed);
}

std::string_view shared_stream_family(const FunctionDef& f) { return f.shared_stream.name; }

std::unique_ptr<Stream> make_shared_stream(std::span<const FunctionDef* const> fs, std::span<const double> params, std::size_t instruments) {
  if (fs.empty()) fail(ErrorCode::invalid_argument, "functions", "a shared stream needs at least one function");
  const std::string_view family = fs[0]->shared_stream.name;
  for (const FunctionDef* f : fs) {
    if (family.empty() || f->shared_stream.name != family)
      fail(ErrorCode::invalid_argument, "functions", "{} and {} do not share a stream", fs[0]->name, f->name);
    check_params(*f, params);
  }
  return fs[0]->shared_stream.make(fs, params, instruments);
}

}  // namespace sextant::analytics::ta
