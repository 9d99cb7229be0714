// Streaming equals batch: every streamable function, fed the S&P 500 bar by bar as a panel of two
// instruments, emits at every row exactly what batch mode computes for that row.
#include <gtest/gtest.h>

#include <cmath>

#include "sextant/analytics/ta.hpp"
#include "sextant/analytics/ta_stream.hpp"
#include "sextant/core/error.hpp"
#include "sextant/data/csv.hpp"
#include "support/test_support.hpp"

namespace sextant::analytics::ta {
namespace {

struct Instrument {
  std::vector<double> open, high, low, close, volume;
};

std::vector<Instrument> panel() {
  Panel p = data::read_csv_panel(test::data_path("sp500_2000_2020_ohlcv.csv"));
  Instrument a;
  for (std::size_t t = 0; t < p.values.rows(); ++t) {
    a.open.push_back(p.values(t, 0));
    a.high.push_back(p.values(t, 1));
    a.low.push_back(p.values(t, 2));
    a.close.push_back(p.values(t, 3));
    a.volume.push_back(p.values(t, 5));
  }
  Instrument b = a;  // a second instrument: the same path at 1.5× the price
  for (auto* v : {&b.open, &b.high, &b.low, &b.close})
    for (double& x : *v) x *= 1.5;
  return {a, b};
}

Inputs inputs_of(const FunctionDef& f, const Instrument& s) {
  Inputs in;
  in.open = s.open, in.high = s.high, in.low = s.low, in.close = s.close, in.volume = s.volume;
  in.real = s.close;
  return in;
}

void check_stream(const FunctionDef& f, std::vector<double> params, std::vector<Instrument> inst = panel()) {
  std::vector<Result> batch;
  for (const auto& s : inst) batch.push_back(run(f, inputs_of(f, s), params));
  auto stream = make_stream(f, params, inst.size());
  const std::size_t rows = inst[0].close.size();
  std::size_t mismatches = 0;
  std::vector<double> o(2), h(2), l(2), c(2), v(2);
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t j = 0; j < 2; ++j) {
      o[j] = inst[j].open[t], h[j] = inst[j].high[t], l[j] = inst[j].low[t], c[j] = inst[j].close[t];
      v[j] = inst[j].volume[t];
    }
    stream->update({o, h, l, c, v});
    for (std::size_t k = 0; k < f.outputs.size(); ++k)
      for (std::size_t j = 0; j < 2; ++j) {
        double want = batch[j].outputs[k][t], got = stream->output(k)[j];
        bool same = std::isnan(want) ? std::isnan(got) : std::abs(got - want) <= 1e-12 * std::max(1.0, std::abs(want));
        if (!same && mismatches++ < 5)
          ADD_FAILURE() << f.name << "." << f.outputs[k] << " instrument " << j << " row " << t << ": stream " << got
                        << ", batch " << want;
      }
  }
  EXPECT_EQ(mismatches, 0u) << f.name;
  EXPECT_EQ(stream->bars_seen(), rows);
}

class StreamEqualsBatch : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamEqualsBatch, DefaultParameters) {
  const FunctionDef* f = find(GetParam());
  ASSERT_NE(f, nullptr);
  std::vector<double> params;
  for (const auto& p : f->params) params.push_back(p.default_value);
  check_stream(*f, params);
}

TEST_P(StreamEqualsBatch, OtherParameters) {
  const FunctionDef* f = find(GetParam());
  std::vector<double> params;
  for (const auto& p : f->params) params.push_back(p.integer && p.default_value >= 4 ? p.default_value - 2 : p.default_value);
  if (GetParam() == "MACD") params = {5, 13, 4};
  check_stream(*f, params);
}

INSTANTIATE_TEST_SUITE_P(Functions, StreamEqualsBatch,
                         ::testing::Values("SMA", "EMA", "WMA", "DEMA", "TEMA", "RSI", "MACD", "BBANDS", "TRANGE", "ATR",
                                           "NATR", "ADX", "CCI", "MOM", "ROC", "WILLR", "STOCH", "OBV", "MFI", "AROON",
                                           "CMO", "VAR", "STDDEV", "AD", "ADOSC", "PLUS_DM", "MINUS_DM", "PLUS_DI",
                                           "MINUS_DI", "DX", "KAMA", "TRIX", "T3", "SAR", "SAREXT", "ADXR",
                                           "STOCHRSI", "HT_DCPERIOD", "HT_DCPHASE", "HT_PHASOR", "HT_SINE",
                                           "HT_TRENDLINE", "HT_TRENDMODE", "MAMA", "ROCP", "ROCR", "ROCR100",
                                           "AROONOSC", "MIDPOINT", "MIDPRICE", "LINEARREG", "LINEARREG_ANGLE",
                                           "LINEARREG_INTERCEPT", "LINEARREG_SLOPE", "TSF", "TRIMA"),
                         [](const auto& info) { return info.param; });

TEST(Stream, EdgePeriodsOfTheRecursiveStreams) {
  // The smallest periods each function allows, for the streams that seed in stages; SAREXT's options.
  for (const auto& [name, params] : std::vector<std::pair<const char*, std::vector<double>>>{
           {"T3", {2, 0.3}}, {"T3", {3, 0.0}}, {"TRIX", {1}}, {"TRIX", {2}}, {"KAMA", {2}}, {"DX", {2}},
           {"PLUS_DM", {2}}, {"ADXR", {2}}, {"STOCHRSI", {2, 1, 1, 0}}, {"VAR", {1, 1}}, {"STDDEV", {2, 2}}, {"CMO", {2}}, {"ADOSC", {2, 2}},
           {"SAREXT", {100, 0.01, 0.02, 0.02, 0.2, 0.03, 0.03, 0.25}},  // a given long start, and an offset
           {"SAREXT", {-100, 0.0, 0.01, 0.05, 0.1, 0.02, 0.02, 0.2}}}) {  // a given short start
    const FunctionDef* f = find(name);
    ASSERT_NE(f, nullptr) << name;
    ASSERT_TRUE(has_fast_stream(*f, params)) << name;
    check_stream(*f, params);
  }
}

// MA runs the named averages' kernels, so it streams through their state machines, and so do APO, PPO
// (whose EMA pair is seeded like MACD's), BBANDS around a non-SMA middle and the stochastics with any
// of those smoothing types, and MACDEXT; MACDFIX is MACD with fixed smoothing constants.
TEST(Stream, MovingAverageTypesAndTheirCompositesUseStateMachines) {
  for (const auto& [name, params] : std::vector<std::pair<const char*, std::vector<double>>>{
           {"MA", {20, 0}}, {"MA", {20, 1}}, {"MA", {20, 2}}, {"MA", {20, 3}}, {"MA", {7, 4}}, {"MA", {20, 5}},
           {"MA", {7, 5}}, {"MACDFIX", {9}},
           {"MACDFIX", {4}}, {"APO", {12, 26, 0}}, {"APO", {26, 12, 1}}, {"PPO", {12, 26, 1}}, {"PPO", {5, 9, 2}},
           {"APO", {4, 9, 3}}, {"PPO", {3, 7, 4}}, {"BBANDS", {20, 2, 1.5, 1}}, {"BBANDS", {10, 2, 2, 2}},
           {"BBANDS", {8, 1, 3, 3}}, {"BBANDS", {5, 2, 2, 4}}, {"STOCH", {5, 3, 1, 3, 1}},
           {"STOCH", {14, 1, 2, 5, 3}}, {"STOCH", {9, 4, 4, 1, 0}}, {"STOCHF", {5, 3, 0}}, {"STOCHF", {14, 3, 1}},
           {"STOCHF", {7, 1, 4}}, {"STOCHRSI", {14, 5, 3, 1}}, {"STOCHRSI", {9, 4, 2, 2}},
           {"STOCHRSI", {5, 3, 1, 3}}, {"MACDEXT", {12, 0, 26, 0, 9, 0}}, {"MACDEXT", {12, 1, 26, 1, 9, 1}},
           {"MACDEXT", {5, 3, 20, 1, 4, 2}}, {"MACDEXT", {26, 4, 12, 0, 9, 3}}, {"MACDEXT", {8, 2, 17, 3, 1, 0}}}) {
    const FunctionDef* f = find(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_TRUE(has_fast_stream(*f, params)) << name << " " << params[0];
    check_stream(*f, params);
  }
}

TEST(Stream, EveryOtherFunctionStreamsThroughTheGenericAdapter) {
  // BOP, AVGPRICE and SIN depend on their row alone: one batch call over the bar's instruments.
  for (const char* name : {"CDLENGULFING", "MAXINDEX", "MINMAXINDEX", "ACCBANDS", "BOP", "AVGPRICE", "SIN"}) {
    const FunctionDef* f = find(name);
    ASSERT_NE(f, nullptr);
    std::vector<double> params;
    for (const auto& p : f->params) params.push_back(p.default_value);
    EXPECT_FALSE(has_fast_stream(*f, params)) << name;
    check_stream(*f, params);
  }
  const FunctionDef* rsi = find("RSI");
  std::vector<double> bad{0.5};
  EXPECT_THROW(make_stream(*rsi, bad, 1), Error);
}

// Windows of kDequeFrom (40) bars or more keep their extremes in monotonic deques rather than
// rescanning: the same values and ages as batch, on real data and on a path with ties (a price that
// repeats, so the newest of equal extremes must be the one kept).
TEST(Stream, LongWindowsKeepTheirExtremesInDeques) {
  auto ties = panel();
  for (auto& s : ties)
    for (auto* v : {&s.open, &s.high, &s.low, &s.close})
      for (double& x : *v) x = std::round(x / 25) * 25;  // long runs of equal highs and lows
  for (const char* name : {"WILLR", "AROON", "AROONOSC", "MIDPOINT", "MIDPRICE"})
    for (double p : {40.0, 64.0, 200.0}) {
      const FunctionDef* f = find(name);
      ASSERT_NE(f, nullptr);
      SCOPED_TRACE(std::string(name) + "/" + std::to_string(int(p)));
      check_stream(*f, {p});
      check_stream(*f, {p}, ties);
    }
  const FunctionDef* stochf = find("STOCHF");
  check_stream(*stochf, {60, 3, 0});
  check_stream(*stochf, {60, 3, 0}, ties);
}

// Functions of one shared_stream_family share one stream: the LINEARREG family (one pass of window
// sums a bar) and WILLR with MIDPRICE (one window of highs and lows). Output k of the shared stream is
// function k's value, bit for bit what its own stream gives; functions of other families are refused.
void check_shared(const std::vector<const char*>& names, const std::vector<double>& params, const std::vector<Instrument>& inst) {
  std::vector<const FunctionDef*> fs;
  for (const char* name : names) fs.push_back(find(name));
  auto shared = make_shared_stream(fs, params, 2);
  std::vector<std::unique_ptr<Stream>> alone;
  for (const FunctionDef* f : fs) alone.push_back(make_stream(*f, params, 2));
  std::size_t compared = 0;
  for (std::size_t t = 0; t < inst[0].close.size(); ++t) {
    std::vector<double> h, l, c;
    for (std::size_t j = 0; j < 2; ++j) h.push_back(inst[j].high[t]), l.push_back(inst[j].low[t]), c.push_back(inst[j].close[t]);
    const PanelBar bar{{}, h, l, c, {}};
    shared->update(bar);
    for (std::size_t k = 0; k < fs.size(); ++k) {
      alone[k]->update(bar);
      for (std::size_t j = 0; j < 2; ++j) {
        const double a = shared->output(k)[j], b = alone[k]->output(0)[j];
        ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << fs[k]->name << " row " << t << ": " << a << " vs " << b;
        compared += std::isfinite(b);
      }
    }
  }
  EXPECT_GT(compared, inst[0].close.size() * fs.size());
}

TEST(Stream, FunctionsOfOneFamilyShareOneStream) {
  for (const char* name : {"TSF", "LINEARREG_ANGLE", "LINEARREG", "LINEARREG_SLOPE", "LINEARREG_INTERCEPT"})
    EXPECT_EQ(shared_stream_family(*find(name)), "linearreg") << name;
  EXPECT_EQ(shared_stream_family(*find("WILLR")), "highlow");
  EXPECT_EQ(shared_stream_family(*find("MIDPRICE")), "highlow");
  EXPECT_EQ(shared_stream_family(*find("MIDPOINT")), "");
  EXPECT_EQ(shared_stream_family(*find("RSI")), "");
  const auto inst = panel();
  check_shared({"TSF", "LINEARREG_ANGLE", "LINEARREG", "LINEARREG_SLOPE", "LINEARREG_INTERCEPT"}, {21}, inst);
  for (double p : {14.0, 60.0})  // a scanned window and one kept in deques
    check_shared({"MIDPRICE", "WILLR"}, {p}, inst), check_shared({"WILLR", "MIDPRICE"}, {p}, inst);
  const std::vector<const FunctionDef*> mixed{find("TSF"), find("WILLR")};
  const std::vector<double> params{21}, bad{0.5};
  EXPECT_THROW(make_shared_stream(mixed, params, 2), Error);
  const std::vector<const FunctionDef*> fs{find("TSF"), find("LINEARREG")};
  EXPECT_THROW(make_shared_stream(fs, bad, 2), Error);
}

}  // namespace
}  // namespace sextant::analytics::ta
