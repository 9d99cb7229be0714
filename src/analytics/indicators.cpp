// A batch of TA-Lib calls over instruments (include/sextant/analytics/indicators.hpp).
#include "sextant/analytics/indicators.hpp"

#include <tbb/parallel_for.h>

#include <cmath>
#include <exception>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {
namespace {

constexpr std::string_view kSeriesNames[] = {"open", "high", "low", "close", "volume"};

// Default input column for a FunctionDef input: named series read themselves; generic ones read
// close (real) and, for two-series functions, close again unless "inputs" says otherwise.
std::string default_column(std::string_view input) {
  if (input == "real" || input == "real1") return "close";
  return std::string(input);
}

// Input keys accepted in "inputs": TA-Lib's (inReal, inReal0, inReal1, inPriceOHLCV style names are
// fixed) and the FunctionDef's own names.
std::optional<std::size_t> input_slot(const ta::FunctionDef& def, std::string_view key) {
  for (std::size_t i = 0; i < def.inputs.size(); ++i) {
    std::string_view in = def.inputs[i];
    if (key == in) return i;
    if (in == "real" && (key == "inReal" || key == "inReal0")) return i;
    if (in == "real1" && key == "inReal1") return i;
  }
  return std::nullopt;
}

ta::Result compute(const IndicatorCall& ind, const SeriesSet& s, const std::string& where, const std::function<void()>& checkpoint) {
  ta::Inputs in;
  for (std::size_t i = 0; i < ind.def->inputs.size(); ++i) {
    auto it = s.find(ind.input_columns[i]);
    if (it == s.end())
      fail(ErrorCode::invalid_argument, where.empty() ? ind.input_columns[i] : where + "." + ind.input_columns[i],
           "{} needs '{}'{}", ind.def->name, ind.input_columns[i], where.empty() ? "" : " for " + where);
    in.set(ind.def->inputs[i], it->second);
  }
  try {
    return ta::run(*ind.def, in, ind.params, checkpoint);
  } catch (const Error& e) {  // name the indicator in the field
    throw Error(e.code(), e.what(), ind.label + ".params." + e.field());
  }
}

}  // namespace

bool is_series_name(std::string_view k) {
  for (auto s : kSeriesNames)
    if (k == s) return true;
  return false;
}

void check_series(const SeriesSet& s, const std::string& prefix) {
  std::size_t n = SIZE_MAX;
  std::string first;
  for (const auto& [name, col] : s) {
    std::string field = prefix.empty() ? name : prefix + "." + name;
    if (col.empty()) fail(ErrorCode::dimension_mismatch, field, "'{}' is empty", field);
    if (n == SIZE_MAX) n = col.size(), first = field;
    else if (col.size() != n)
      fail(ErrorCode::dimension_mismatch, field, "'{}' has {} values, '{}' has {}", field, col.size(), first, n);
    for (std::size_t i = 0; i < col.size(); ++i)
      if (!std::isfinite(col[i])) fail(ErrorCode::non_finite, field, "'{}' has a non-finite value at row {}", field, i);
  }
}

IndicatorCall bind_indicator(std::string_view name, const std::vector<std::pair<std::string, double>>& params,
                             const std::vector<std::pair<std::string, std::string>>& inputs, std::string label) {
  IndicatorCall r;
  r.label = std::move(label);
  r.def = ta::find(name);
  if (!r.def) fail(ErrorCode::invalid_argument, r.label + ".name", "unknown indicator '{}'", name);
  for (const auto& p : r.def->params) r.params.push_back(p.default_value);
  for (const auto& [k, val] : params) {
    bool found = false;
    for (std::size_t i = 0; i < r.def->params.size(); ++i)
      if (r.def->params[i].name == k || r.def->params[i].alias == k) {
        r.params[i] = val;
        found = true;
      }
    if (!found)
      fail(ErrorCode::invalid_argument, r.label + ".params." + k, "{} has no parameter '{}'", r.def->name, k);
  }
  for (auto in : r.def->inputs) r.input_columns.push_back(default_column(in));
  for (const auto& [k, col] : inputs) {
    auto slot = input_slot(*r.def, k);
    if (!slot) fail(ErrorCode::invalid_argument, r.label + ".inputs." + k, "{} has no input '{}'", r.def->name, k);
    if (!is_series_name(col))
      fail(ErrorCode::invalid_argument, r.label + ".inputs." + k, "input '{}' must name open, high, low, close or volume", k);
    r.input_columns[*slot] = col;
  }
  return r;
}

std::vector<std::vector<ta::Result>> compute_indicators(const std::vector<Instrument>& instruments,
                                                        const std::vector<IndicatorCall>& calls, double bytes_per_value,
                                                        const std::function<void()>& checkpoint) {
  // Every output series is as long as its input, so a few KB of indicator list can ask for gigabytes:
  // refuse that up front.
  double values = 0;
  for (const auto& inst : instruments) {
    const double rows = inst.series.empty() ? 0.0 : double(inst.series.begin()->second.size());
    for (const auto& c : calls) values += rows * double(c.def->outputs.size());
  }
  accel::require_memory_pool(values * bytes_per_value, "indicators", "the indicator outputs");
  std::vector<std::vector<ta::Result>> results(instruments.size());
  std::vector<std::exception_ptr> errors(instruments.size());
  tbb::parallel_for(std::size_t(0), instruments.size(), [&](std::size_t i) {
    try {
      const std::string where = instruments[i].symbol.empty() ? "" : "instruments." + instruments[i].symbol;
      for (const auto& c : calls) {
        if (checkpoint) checkpoint();
        results[i].push_back(compute(c, instruments[i].series, where, checkpoint));
      }
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
}

}  // namespace sextant::analytics
