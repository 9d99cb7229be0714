// TA-Lib oracle: every implemented function against TA-Lib C 0.6 on the S&P 500
// (../shared/data/golden/sp500_talib.json): begIndex and null positions exactly, values to 1e-9
// relative (HT_* and MAMA 1e-6) plus 1e-12 of the series' largest magnitude (rounding noise where a
// value is zero up to cancellation), integer outputs exactly. TA-Lib's golden writes non-finite
// results (EXP overflow) as null, as our JSON writer does: a golden null is NaN or ±inf here.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sextant/analytics/ta.hpp"
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

TEST_P(TaGolden, MatchesTaLib) {
  const std::string name = GetParam();
  const FunctionDef* def = find(name);
  ASSERT_NE(def, nullptr);
  simdjson::dom::element g = test::golden(golden_file())["functions"][name];
  std::vector<std::size_t> rows;  // the rows the golden outputs hold (all, or the sampled ones)
  simdjson::dom::array sampled;
  if (g["sampled_rows"].get(sampled) == simdjson::SUCCESS)
    for (auto r : sampled) rows.push_back(std::size_t(int64_t(r)));
  const Ohlcv& d = sp500();

  // Inputs: positional against the golden's list; named series must agree by name.
  auto names = golden_inputs(g);
  ASSERT_EQ(names.size(), def->inputs.size()) << name;
  Inputs in;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::span<const double> s(d.by_name(names[i]));
    std::string_view want = def->inputs[i];
    if (want == "real") in.real = s;
    else if (want == "real1") in.real1 = s;
    else {
      ASSERT_EQ(want, names[i]) << name << " input " << i;
      if (want == "open") in.open = s;
      else if (want == "high") in.high = s;
      else if (want == "low") in.low = s;
      else if (want == "close") in.close = s;
      else in.volume = s;
    }
  }
  std::vector<double> params;
  for (const auto& p : def->params) params.push_back(p.default_value);
  for (auto kv : g["params"].get_object()) {
    bool found = false;
    for (std::size_t i = 0; i < def->params.size(); ++i)
      if (def->params[i].name == kv.key) {
        params[i] = double(kv.value);
        found = true;
      }
    ASSERT_TRUE(found) << name << ": golden parameter " << kv.key << " unknown here";
  }
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_EQ(params[i], def->params[i].default_value) << name << ": default of " << def->params[i].name;

  Result r = run(*def, in, params);
  EXPECT_EQ(r.beg_index, int64_t(g["begIndex"])) << name;
  const bool loose = name.rfind("HT_", 0) == 0 || name == "MAMA";
  ASSERT_EQ(r.outputs.size(), def->outputs.size());
  for (std::size_t o = 0; o < def->outputs.size(); ++o) {
    simdjson::dom::element want;
    ASSERT_EQ(g["outputs"][def->outputs[o]].get(want), simdjson::SUCCESS) << name << ": golden has no output " << def->outputs[o];
    const auto& got = r.outputs[o];
    double scale = 0;
    for (auto v : want.get_array())
      if (!v.is_null()) scale = std::max(scale, std::abs(double(v)));
    std::size_t i = 0, bad = 0, t = 0;
    for (auto v : want.get_array()) {
      t = rows.empty() ? i : rows[i];
      ++i;
      if (v.is_null()) {
        if (std::isfinite(got[t]) && bad++ < 5) ADD_FAILURE() << name << "." << def->outputs[o] << "[" << t << "] should be null, is " << got[t];
      } else {
        double w = double(v);
        double tol = def->integer_output ? 0.0 : (loose ? 1e-6 : 1e-9) * std::abs(w) + 1e-12 * scale;
        if (!(std::abs(got[t] - w) <= tol) && bad++ < 5)
          ADD_FAILURE() << name << "." << def->outputs[o] << "[" << t << "] = " << got[t] << ", TA-Lib " << w;
      }
    }
    EXPECT_EQ(rows.empty() ? i : rows.size(), rows.empty() ? got.size() : i);
    EXPECT_EQ(bad, 0u) << name << "." << def->outputs[o] << ": " << bad << " rows differ";
  }
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
