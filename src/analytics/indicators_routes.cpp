// POST /indicators: TA-Lib functions over one series set or a panel of instruments.
//   {"open":[],"high":[],"low":[],"close":[],"volume":[],
//    "indicators":[{"name":"RSI","params":{"optInTimePeriod":14},"inputs":{"inReal":"close"}}],
//    "last_only":false}
// or "instruments":{"SYM":{"open":[],...},...} in place of the top-level series.
// Outputs are aligned to the input rows, null before begIndex. Instruments run in parallel.
#include <tbb/parallel_for.h>

#include <cmath>
#include <map>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/routes.hpp"
#include "sextant/analytics/ta.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"

namespace sextant::analytics {
namespace {

using net::JsonWriter;
using net::od::value;

struct Series {
  std::map<std::string, std::vector<double>> columns;  // open, high, low, close, volume
};

struct IndicatorRequest {
  const ta::FunctionDef* def = nullptr;
  std::vector<double> params;
  std::vector<std::string> input_columns;  // one per def->inputs
  std::string label;                       // for errors: indicators[i]
};

const char* kSeriesNames[] = {"open", "high", "low", "close", "volume"};

bool is_series_name(std::string_view k) {
  for (auto s : kSeriesNames)
    if (k == s) return true;
  return false;
}

Series read_series(net::od::object obj, const std::string& prefix) {
  Series s;
  for (auto kv : obj) {
    std::string_view k = kv.unescaped_key();
    std::string field = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    if (!is_series_name(k))
      fail(ErrorCode::invalid_argument, field, "unknown series '{}' (expected open, high, low, close, volume)", field);
    s.columns[std::string(k)] = net::read_vector(kv.value(), field);
  }
  std::size_t n = SIZE_MAX;
  std::string first;
  for (const auto& [name, col] : s.columns) {
    std::string field = prefix.empty() ? name : prefix + "." + name;
    if (col.empty()) fail(ErrorCode::dimension_mismatch, field, "'{}' is empty", field);
    if (n == SIZE_MAX) n = col.size(), first = field;
    else if (col.size() != n)
      fail(ErrorCode::dimension_mismatch, field, "'{}' has {} values, '{}' has {}", field, col.size(), first, n);
    for (std::size_t i = 0; i < col.size(); ++i)
      if (!std::isfinite(col[i])) fail(ErrorCode::non_finite, field, "'{}' has a non-finite value at row {}", field, i);
  }
  return s;
}

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

IndicatorRequest read_indicator(value v, std::size_t index) {
  IndicatorRequest r;
  r.label = "indicators[" + std::to_string(index) + "]";
  std::optional<std::string> name;
  std::vector<std::pair<std::string, double>> params;
  std::vector<std::pair<std::string, std::string>> inputs;
  for (auto kv : net::read_object(v, r.label)) {
    std::string_view k = kv.unescaped_key();
    if (k == "name") name = net::read_string(kv.value(), r.label + ".name");
    else if (k == "params") {
      for (auto p : net::read_object(kv.value(), r.label + ".params")) {
        std::string pk(std::string_view(p.unescaped_key()));
        params.emplace_back(pk, net::read_number(p.value(), r.label + ".params." + pk));
      }
    } else if (k == "inputs") {
      for (auto p : net::read_object(kv.value(), r.label + ".inputs")) {
        std::string pk(std::string_view(p.unescaped_key()));
        inputs.emplace_back(pk, net::read_string(p.value(), r.label + ".inputs." + pk));
      }
    } else fail(ErrorCode::invalid_argument, r.label + "." + std::string(k), "unknown field '{}' in {}", k, r.label);
  }
  if (!name) fail(ErrorCode::invalid_argument, r.label + ".name", "{} needs a 'name'", r.label);
  r.def = ta::find(*name);
  if (!r.def) fail(ErrorCode::invalid_argument, r.label + ".name", "unknown indicator '{}'", *name);
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

ta::Result compute(const IndicatorRequest& ind, const Series& s, const std::string& where) {
  ta::Inputs in;
  for (std::size_t i = 0; i < ind.def->inputs.size(); ++i) {
    auto it = s.columns.find(ind.input_columns[i]);
    if (it == s.columns.end())
      fail(ErrorCode::invalid_argument, where.empty() ? ind.input_columns[i] : where + "." + ind.input_columns[i],
           "{} needs '{}'{}", ind.def->name, ind.input_columns[i], where.empty() ? "" : " for " + where);
    std::span<const double> col(it->second);
    std::string_view name = ind.def->inputs[i];
    if (name == "real") in.real = col;
    else if (name == "real1") in.real1 = col;
    else if (name == "open") in.open = col;
    else if (name == "high") in.high = col;
    else if (name == "low") in.low = col;
    else if (name == "close") in.close = col;
    else in.volume = col;
  }
  try {
    return ta::run(*ind.def, in, ind.params);
  } catch (const Error& e) {  // name the indicator in the field
    throw Error(e.code(), e.what(), ind.label + ".params." + e.field());
  }
}

void write_results(JsonWriter& w, const std::vector<IndicatorRequest>& inds, const std::vector<ta::Result>& results,
                   bool last_only) {
  w.begin_array();
  for (std::size_t i = 0; i < inds.size(); ++i) {
    const auto& def = *inds[i].def;
    w.begin_object().field("name", def.name).key("params").begin_object();
    for (std::size_t p = 0; p < def.params.size(); ++p) {
      w.key(def.params[p].name);
      if (def.params[p].integer) w.value(std::int64_t(inds[i].params[p]));
      else w.value(inds[i].params[p]);
    }
    w.end_object().field("begIndex", std::int64_t(results[i].beg_index)).key("outputs").begin_object();
    for (std::size_t o = 0; o < def.outputs.size(); ++o) {
      w.key(def.outputs[o]);
      const auto& v = results[i].outputs[o];
      if (last_only) {
        if (v.empty() || !std::isfinite(v.back())) w.null();
        else if (def.integer_output) w.value(std::int64_t(v.back()));
        else w.value(v.back());
      } else {
        w.begin_array();
        for (double x : v) {
          if (!std::isfinite(x)) w.null();
          else if (def.integer_output) w.value(std::int64_t(x));
          else w.value(x);
        }
        w.end_array();
      }
    }
    w.end_object().end_object();
  }
  w.end_array();
}

net::Response indicators_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  Series top;
  std::vector<std::pair<std::string, Series>> instruments;
  std::vector<IndicatorRequest> inds;
  bool last_only = false, have_top = false, have_instruments = false;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    if (is_series_name(k)) {
      top.columns[std::string(k)] = net::read_vector(kv.value(), k);
      have_top = true;
    } else if (k == "indicators") {
      std::size_t i = 0;
      for (auto v : net::read_array(kv.value(), "indicators")) inds.push_back(read_indicator(v.value(), i++));
    } else if (k == "last_only") {
      last_only = net::read_bool(kv.value(), "last_only");
    } else if (k == "instruments") {
      have_instruments = true;
      for (auto inst : net::read_object(kv.value(), "instruments")) {
        std::string sym(std::string_view(inst.unescaped_key()));
        instruments.emplace_back(sym, read_series(net::read_object(inst.value(), "instruments." + sym), "instruments." + sym));
      }
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}'", k);
  }
  if (inds.empty()) fail(ErrorCode::invalid_argument, "indicators", "'indicators' must list at least one indicator");
  if (have_top && have_instruments)
    fail(ErrorCode::invalid_argument, "instruments", "send either top-level series or 'instruments', not both");
  if (!have_top && !have_instruments)
    fail(ErrorCode::invalid_argument, "close", "no price series: send open/high/low/close/volume or 'instruments'");
  if (have_top) {
    // The same checks as instruments get: lengths agree, values finite, nothing empty.
    for (const auto& [name, col] : top.columns) {
      if (col.empty()) fail(ErrorCode::dimension_mismatch, name, "'{}' is empty", name);
      if (col.size() != top.columns.begin()->second.size())
        fail(ErrorCode::dimension_mismatch, name, "'{}' has {} values, '{}' has {}", name, col.size(),
             top.columns.begin()->first, top.columns.begin()->second.size());
      for (std::size_t i = 0; i < col.size(); ++i)
        if (!std::isfinite(col[i])) fail(ErrorCode::non_finite, name, "'{}' has a non-finite value at row {}", name, i);
    }
    instruments.emplace_back("", std::move(top));
  }
  // Every output series is as long as its input, so a few KB of indicator list can ask for gigabytes:
  // refuse that up front (8 bytes a value computed, ~24 more as JSON text unless last_only).
  double values = 0;
  for (const auto& [name, series] : instruments) {
    const double rows = series.columns.empty() ? 0.0 : double(series.columns.begin()->second.size());
    for (const auto& ind : inds) values += rows * double(ind.def->outputs.size());
  }
  accel::require_memory_pool(values * (last_only ? 8.0 : 32.0), "indicators", "the indicator outputs");
  // Compute: instruments in parallel; the first error (by instrument order) is reported.
  std::vector<std::vector<ta::Result>> results(instruments.size());
  std::vector<std::exception_ptr> errors(instruments.size());
  tbb::parallel_for(std::size_t(0), instruments.size(), [&](std::size_t i) {
    try {
      for (const auto& ind : inds)
        results[i].push_back(compute(ind, instruments[i].second, instruments[i].first.empty() ? "" : "instruments." + instruments[i].first));
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  req.check_deadline();
  JsonWriter w(1024);
  w.begin_object();
  if (have_instruments) {
    w.key("instruments").begin_object();
    for (std::size_t i = 0; i < instruments.size(); ++i) {
      w.key(instruments[i].first).begin_object().key("indicators");
      write_results(w, inds, results[i], last_only);
      w.end_object();
    }
    w.end_object();
  } else {
    w.key("indicators");
    write_results(w, inds, results[0], last_only);
  }
  w.field("backend", "cpu").field("calculation_time_ms", sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

}  // namespace

void add_indicator_routes(net::RouteTable& table) { table.add("POST", "/indicators", indicators_route); }

}  // namespace sextant::analytics
