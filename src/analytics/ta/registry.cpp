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

Result run(const FunctionDef& f, const Inputs& in, std::span<const double> params) {
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
  if (std::size_t(r.beg_index) < n) {
    std::vector<double*> out;
    for (auto& o : r.outputs) out.push_back(o.data());
    f.compute(in, params.data(), out.data());
  }
  return r;
}

}  // namespace sextant::analytics::ta
