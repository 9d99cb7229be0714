// TA-Lib oracle: every implemented function against TA-Lib C 0.6 on the S&P 500
// (../shared/data/golden/sp500_talib.json): begIndex and null positions exactly, values to 1e-9
// relative (HT_* and MAMA 1e-6) plus 1e-12 of the series' largest magnitude (rounding noise where a
// value is zero up to cancellation), integer outputs exactly. TA-Lib's golden writes non-finite
// results (EXP overflow) as null, as our JSON writer does: a golden null is NaN or ±inf here.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sextant/analytics/ta.hpp"
#include "sextant/analytics/ta_stream.hpp"
#include "sextant/core/error.hpp"
#include "sextant/data/csv.hpp"
#include "support/test_support.hpp"

namespace sextant::analytics::ta {
namespace {

struct Ohlcv {
  std::vector<double> open, high, low, close, volume;
  const std::vector<double>& by_name(const std::string& n) const {
    if (n == "open") return open;
    if (n == "high") return high;
    if (n == "low") return low;
    if (n == "close") return close;
    if (n == "volume") return volume;
    throw std::runtime_error("unknown series " + n);
  }
};

const Ohlcv& sp500() {
  static const Ohlcv data = [] {
    Panel p = data::read_csv_panel(test::data_path("sp500_2000_2020_ohlcv.csv"));
    Ohlcv d;
    for (std::size_t j = 0; j < p.symbols.size(); ++j) {
      std::vector<double> col(p.values.rows());
      for (std::size_t t = 0; t < col.size(); ++t) col[t] = p.values(t, j);
      const auto& s = p.symbols[j];
      if (s == "open") d.open = col;
      else if (s == "high") d.high = col;
      else if (s == "low") d.low = col;
      else if (s == "close") d.close = col;
      else if (s == "volume") d.volume = col;
    }
    return d;
  }();
  return data;
}

std::vector<std::string> golden_inputs(simdjson::dom::element f) {
  std::vector<std::string> names;
  for (auto v : f["inputs"].get_array()) {
    std::string s(std::string_view(v.get_string()));
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, '+')) names.push_back(part);
  }
  return names;
}

// The full golden file when ../shared/data has it, else the repo's sampled copy (same format, with
// `sampled_rows` naming the rows each output array holds).
const std::string& golden_file() {
  static const std::string f = [] {
    const char* shared = SEXTANT_SHARED_DATA_DIR;
    return std::string(shared).empty() ? "golden/sp500_talib_sampled.json" : "golden/sp500_talib.json";
  }();
  return f;
}

class TaGolden : public ::testing::TestWithParam<std::string> {};

// A golden function's inputs (mapped onto the FunctionDef) and parameters, and the rows its
// outputs hold (all rows, or the sampled ones).
struct GoldenCase {
  const FunctionDef* def = nullptr;
  simdjson::dom::element g;
  Inputs in;
  std::vector<double> params;
  std::vector<std::size_t> rows;  // empty: every row
};

GoldenCase golden_case(const std::string& name) {
  GoldenCase c;
  c.def = find(name);
  EXPECT_NE(c.def, nullptr);
  c.g = test::golden(golden_file())["functions"][name];
  simdjson::dom::array sampled;
  if (c.g["sampled_rows"].get(sampled) == simdjson::SUCCESS)
    for (auto r : sampled) c.rows.push_back(std::size_t(int64_t(r)));
  const Ohlcv& d = sp500();
  auto names = golden_inputs(c.g);
  EXPECT_EQ(names.size(), c.def->inputs.size()) << name;
  for (std::size_t i = 0; i < names.size() && i < c.def->inputs.size(); ++i) {
    std::span<const double> s(d.by_name(names[i]));
    std::string_view want = c.def->inputs[i];
    if (want == "real") c.in.real = s;
    else if (want == "real1") c.in.real1 = s;
    else {
      EXPECT_EQ(want, names[i]) << name << " input " << i;
      if (want == "open") c.in.open = s;
      else if (want == "high") c.in.high = s;
      else if (want == "low") c.in.low = s;
      else if (want == "close") c.in.close = s;
      else c.in.volume = s;
    }
  }
  for (const auto& p : c.def->params) c.params.push_back(p.default_value);
  for (auto kv : c.g["params"].get_object()) {
    bool found = false;
    for (std::size_t i = 0; i < c.def->params.size(); ++i)
      if (c.def->params[i].name == kv.key) {
        c.params[i] = double(kv.value);
        found = true;
      }
    EXPECT_TRUE(found) << name << ": golden parameter " << kv.key << " unknown here";
  }
  return c;
}

// Compares got(row) with the golden output `o` at every golden row below `limit`.
template <class Got>
void compare_output(const GoldenCase& c, std::size_t o, std::size_t limit, Got&& got, const char* mode) {
  const std::string name(c.def->name);
  simdjson::dom::element want;
  ASSERT_EQ(c.g["outputs"][c.def->outputs[o]].get(want), simdjson::SUCCESS) << name << ": no output " << c.def->outputs[o];
  const bool loose = name.rfind("HT_", 0) == 0 || name == "MAMA";
  double scale = 0;
  for (auto v : want.get_array())
    if (!v.is_null()) scale = std::max(scale, std::abs(double(v)));
  std::size_t i = 0, bad = 0;
  for (auto v : want.get_array()) {
    const std::size_t t = c.rows.empty() ? i : c.rows[i];
    ++i;
    if (t >= limit) break;
    const double g = got(t);
    if (v.is_null()) {
      if (std::isfinite(g) && bad++ < 5)
        ADD_FAILURE() << mode << " " << name << "." << c.def->outputs[o] << "[" << t << "] should be null, is " << g;
    } else {
      const double w = double(v);
      const double tol = c.def->integer_output ? 0.0 : (loose ? 1e-6 : 1e-9) * std::abs(w) + 1e-12 * scale;
      if (!(std::abs(g - w) <= tol) && bad++ < 5)
        ADD_FAILURE() << mode << " " << name << "." << c.def->outputs[o] << "[" << t << "] = " << g << ", TA-Lib " << w;
    }
  }
  EXPECT_EQ(bad, 0u) << mode << " " << name << "." << c.def->outputs[o] << ": " << bad << " rows differ";
}

TEST_P(TaGolden, MatchesTaLib) {
  GoldenCase c = golden_case(GetParam());
  ASSERT_NE(c.def, nullptr);
  for (std::size_t i = 0; i < c.params.size(); ++i)
    EXPECT_EQ(c.params[i], c.def->params[i].default_value) << GetParam() << ": default of " << c.def->params[i].name;
  Result r = run(*c.def, c.in, c.params);
  EXPECT_EQ(r.beg_index, int64_t(c.g["begIndex"])) << GetParam();
  ASSERT_EQ(r.outputs.size(), c.def->outputs.size());
  for (std::size_t o = 0; o < r.outputs.size(); ++o)
    compare_output(c, o, r.outputs[o].size(), [&](std::size_t t) { return r.outputs[o][t]; }, "batch");
}

// Streaming mode: every bar of the series fed one at a time; every emitted value against TA-Lib's
// at that row.
constexpr std::size_t kStreamRows = SIZE_MAX;

TEST_P(TaGolden, StreamingMatchesTaLibBarByBar) {
  GoldenCase c = golden_case(GetParam());
  ASSERT_NE(c.def, nullptr);
  auto stream = make_stream(*c.def, c.params, 1);
  const std::size_t rows = std::min(kStreamRows, c.in.size());
  std::vector<std::vector<double>> emitted(c.def->outputs.size(), std::vector<double>(rows));
  auto at = [](std::span<const double> s, std::size_t t) { return s.empty() ? std::span<const double>() : s.subspan(t, 1); };
  for (std::size_t t = 0; t < rows; ++t) {
    // A generic input (real) is fed as close; a second series (real1) as real1.
    PanelBar bar{at(c.in.open, t), at(c.in.high, t), at(c.in.low, t), at(c.in.close, t), at(c.in.volume, t),
                 at(c.in.real1, t)};
    if (!c.in.real.empty()) bar.close = at(c.in.real, t);
    stream->update(bar);
    for (std::size_t o = 0; o < emitted.size(); ++o) emitted[o][t] = stream->output(o)[0];
  }
  for (std::size_t o = 0; o < emitted.size(); ++o)
    compare_output(c, o, rows, [&](std::size_t t) { return emitted[o][t]; }, "stream");
}

std::vector<std::string> implemented_golden_functions() {
  std::vector<std::string> out;
  for (auto kv : test::golden(golden_file())["functions"].get_object())
    if (find(kv.key)) out.emplace_back(kv.key);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Functions, TaGolden, ::testing::ValuesIn(implemented_golden_functions()),
                         [](const auto& info) { return info.param; });

TEST(TaRegistry, EveryImplementedFunctionIsInTheGoldenFile) {
  simdjson::dom::element g = test::golden(golden_file())["functions"];
  for (const auto& f : functions()) {
    simdjson::dom::element e;
    EXPECT_EQ(g[f.name].get(e), simdjson::SUCCESS) << f.name << " has no golden output";
  }
}

TEST(TaRegistry, ParametersAreCheckedAndNamed) {
  const FunctionDef* rsi = find("rsi");
  ASSERT_NE(rsi, nullptr);
  std::vector<double> x(50, 1.0);
  Inputs in;
  in.real = x;
  std::vector<double> bad{1.0};
  try {
    run(*rsi, in, bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "optInTimePeriod");
  }
  std::vector<double> fractional{14.5};
  EXPECT_THROW(run(*rsi, in, fractional), Error);
  std::vector<double> ok{14.0};
  auto r = run(*rsi, in, ok);
  EXPECT_EQ(r.beg_index, 14);
  EXPECT_EQ(r.outputs[0][14], 0.0) << "flat series: no gain, no loss";
  EXPECT_EQ(find("NOPE"), nullptr);
}

}  // namespace
}  // namespace sextant::analytics::ta
