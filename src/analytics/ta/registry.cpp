#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "sextant/core/error.hpp"
#include "table.hpp"

namespace sextant::analytics::ta {

std::size_t Inputs::size() const {
  for (auto s : {real, close, high, low, open, volume, real1})
    if (!s.empty()) return s.size();
  return 0;
}

void Inputs::set(std::string_view input, std::span<const double> series) {
  if (input == "real") real = series;
  else if (input == "real1") real1 = series;
  else if (input == "open") open = series;
  else if (input == "high") high = series;
  else if (input == "low") low = series;
  else if (input == "close") close = series;
  else volume = series;
}

const std::vector<FunctionDef>& functions() {
  static const std::vector<FunctionDef> table = [] {
    std::vector<FunctionDef> fs;
    register_overlap(fs);
    register_momentum(fs);
    register_volatility_volume(fs);
    register_statistic(fs);
    register_math_price(fs);
    register_cycle(fs);
    register_candles(fs);
    return fs;
  }();
  return table;
}

const FunctionDef* find(std::string_view name) {
  for (const auto& f : functions())
    if (f.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), f.name.begin(),
                   [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; }))
      return &f;
  return nullptr;
}

void check_params(const FunctionDef& f, std::span<const double> params) {
  if (params.size() != f.params.size())
    fail(ErrorCode::invalid_argument, "params", "{} takes {} parameters, got {}", f.name, f.params.size(), params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& d = f.params[i];
    double v = params[i];
    if (!std::isfinite(v) || v < d.min || v > d.max || (d.integer && v != std::floor(v)))
      fail(ErrorCode::invalid_argument, std::string(d.name), "{}: {} must be {} in [{}, {}], got {}", f.name, d.name,
           d.integer ? "an integer" : "a number", d.min, d.max, v);
  }
}

namespace {

// Rows × window work between two checkpoints: ~0.1 s of a window loop.
constexpr double kChunkWork = 1e8;

Inputs window_of(const Inputs& in, std::size_t from, std::size_t to) {
  auto cut = [&](std::span<const double> s) { return s.empty() ? s : s.subspan(from, to - from); };
  return {cut(in.open), cut(in.high), cut(in.low), cut(in.close), cut(in.volume), cut(in.real), cut(in.real1)};
}

}  // namespace

Result run(const FunctionDef& f, const Inputs& in, std::span<const double> params, const std::function<void()>& checkpoint) {
  check_params(f, params);
  const std::size_t n = in.size();
  Result r;
  r.beg_index = f.lookback(params.data());
  const std::size_t filled = std::min<std::size_t>(std::size_t(std::max(r.beg_index, 0)), n);
  r.outputs.resize(f.outputs.size());
  for (auto& o : r.outputs) {
    o.resize(n);  // uninitialised: the kernel writes rows >= begIndex
    std::fill(o.begin(), o.begin() + filled, std::numeric_limits<double>::quiet_NaN());
  }
  if (std::size_t(r.beg_index) >= n) return r;
  const std::size_t lb = std::size_t(std::max(r.beg_index, 0));
  // Index outputs count from their input's first row, so they are not chunked.
  const bool chunked = checkpoint && f.finite_memory && f.finite_memory(f, params) && !f.integer_output &&
                       double(n - lb) * double(lb + 1) > kChunkWork;
  const std::size_t rows = chunked ? std::max<std::size_t>(1, std::size_t(kChunkWork / double(lb + 1))) : n - lb;
  std::vector<double*> out(r.outputs.size());
  for (std::size_t first = lb; first < n; first += rows) {  // output rows [first, last)
    if (checkpoint) checkpoint();
    const std::size_t last = std::min(n, first + rows), from = first - lb;
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = r.outputs[k].data() + from;
    f.compute(chunked ? window_of(in, from, last) : in, params.data(), out.data());
    if (!chunked) break;
  }
  return r;
}

}  // namespace sextant::analytics::ta
