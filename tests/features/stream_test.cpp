// Streaming equals batch: every factor of Alpha158, Alpha360 and WorldQuant 101, fed bar by bar, equals
// the batch evaluator's row at every bar, bit for bit (NaN where batch is NaN), on real data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sextant/data/csv.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/features/stream.hpp"
#include "support/test_support.hpp"

namespace sextant::test {
namespace {

using features::FieldPanel;

// The S&P 500 file's OHLCV cut into `n` consecutive periods of `rows` days, one instrument each (real
// prices for a cross-section), with group fields and a cap for the alphas that read them.
FieldPanel sp500_periods(std::size_t n, std::size_t rows) {
  Panel p = data::read_csv_panel(data_path("sp500_2000_2020_ohlcv.csv"));
  FieldPanel out;
  out.rows = rows;
  for (std::size_t j = 0; j < n; ++j) out.instruments.push_back("P" + std::to_string(j));
  for (std::size_t f = 0; f < p.symbols.size(); ++f) {
    auto& v = out.fields[p.symbols[f]];
    v.resize(rows * n);
    for (std::size_t t = 0; t < rows; ++t)
      for (std::size_t j = 0; j < n; ++j) v[t * n + j] = p.values(j * rows + t, f);
  }
  for (const char* g : {"sector", "industry", "subindustry"}) {
    auto& v = out.fields[g];
    v.resize(rows * n);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = double((i % n) % (g[0] == 's' && g[1] == 'e' ? 2 : 3));
  }
  auto& cap = out.fields["cap"];
  cap = out.fields["close"];
  for (double& c : cap) c *= 1e6;
  return out;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

// Feeds the panel bar by bar and compares each expression's row with batch's, bit for bit.
void expect_stream_equals_batch(const std::vector<std::string>& exprs, const FieldPanel& f) {
  const std::size_t T = f.rows, N = f.cols();
  features::Program p;
  std::vector<features::NodeId> ids;
  for (const auto& e : exprs) ids.push_back(p.add(e));
  const auto batch = features::evaluate(p, ids, f);
  features::FactorStream stream(p, ids, N);
  features::BarFields bar;
  for (std::size_t t = 0; t < T; ++t) {
    for (const auto& [name, v] : f.fields) bar[name].assign(v.begin() + t * N, v.begin() + (t + 1) * N);
    stream.update(bar);
    for (std::size_t k = 0; k < ids.size(); ++k)
      for (std::size_t j = 0; j < N; ++j)
        ASSERT_TRUE(same(stream.value(k)[j], batch[k][t * N + j]))
            << exprs[k] << " row " << t << " instrument " << j << ": stream " << stream.value(k)[j] << ", batch " << batch[k][t * N + j];
  }
}

TEST(FeatureStream, EqualsBatchOnEveryRowForEveryCataloguedFactor) {
  const FieldPanel panel = sp500_periods(5, 1000);
  const std::size_t N = panel.cols(), T = panel.rows;
  std::vector<std::string> ids;
  for (const char* family : {"alpha158", "alpha360", "wq101"})
    features::for_each_factor(family, [&](const features::Factor& f) { ids.push_back(f.id); });
  ASSERT_EQ(ids.size(), 158u + 360u + 101u);
  features::FieldDefaults supplied;
  supplied.supplied.clear();
  for (const auto& [name, v] : panel.fields) supplied.supplied.push_back(name);
  const auto compiled = features::compile_factors(ids, supplied);
  const auto batch = features::evaluate(compiled.program, compiled.outputs, panel);

  features::FactorStream stream(compiled.program, compiled.outputs, N);
  std::size_t mismatches = 0, finite = 0;
  features::BarFields bar;
  for (std::size_t t = 0; t < T; ++t) {
    for (const auto& [name, v] : panel.fields) bar[name].assign(v.begin() + t * N, v.begin() + (t + 1) * N);
    stream.update(bar);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const auto got = stream.value(k);
      for (std::size_t j = 0; j < N; ++j) {
        const double want = batch[k][t * N + j];
        finite += std::isfinite(want);
        if (!same(got[j], want) && ++mismatches <= 10)
          ADD_FAILURE() << ids[k] << " row " << t << " instrument " << j << ": stream " << got[j] << ", batch " << want;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(finite, ids.size() * T * N / 2) << "most values are defined";
}

// Nodes that one scan of a window or one TA-Lib stream answers together (Max with IdxMax, Slope with
// Rsquare and Resi, Skew with Kurt, Quantiles with Med, the LINEARREG family, WILLR with MIDPRICE of
// the same highs and lows) step as one group in the stream; each must still equal batch, over NaNs and
// ties, in every group size.
TEST(FeatureStream, SharedWindowsEqualBatch) {
  const std::vector<std::string> exprs = {"Max($close, 7)", "IdxMax($close, 7)", "ts_max($close, 7)", "ts_argmax($close, 7)", "Min($close, 7)",
                         "ts_argmin($close, 7)", "Slope($close, 9)", "Rsquare($close, 9)", "Resi($close, 9)", "Skew($close, 9)",
                         "Kurt($close, 9)", "Skew($close, 12)", "Kurt($open, 12)", "Quantile($close, 8, 0.8)", "Med($close, 8)",
                         "IdxMin($close, 30)", "LINEARREG($close, 14)", "LINEARREG_ANGLE($close, 14)", "TSF($close, 14)",
                         "LINEARREG_SLOPE($close, 14)", "LINEARREG_INTERCEPT($close, 14)", "LINEARREG($close, 9)", "TSF($open, 9)",
                         "WILLR($hi, $lo, $cl, 14)", "MIDPRICE($hi, $lo, 14)", "WILLR($hi, $lo, $op, 14)", "MIDPRICE($hi, $cl, 14)",
                         "WILLR($hi, $lo, $cl, 45)", "MIDPRICE($hi, $lo, 45)"};
  const std::size_t T = 120, N = 13;
  FieldPanel f;
  f.rows = T;
  for (std::size_t j = 0; j < N; ++j) f.instruments.push_back("S" + std::to_string(j));
  std::uint64_t r = 5;
  // close and open with NaNs; hi, lo, cl and op without (TA-Lib's batch window extremes carry their
  // state across a NaN, which the streams do not: WindowHighLow in analytics/ta/stream_momentum.cpp)
  for (const char* name : {"close", "open", "hi", "lo", "cl", "op"}) {
    auto& x = f.fields[name];
    const bool nan = std::string_view(name) == "close" || std::string_view(name) == "open";
    for (std::size_t i = 0; i < T * N; ++i) {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::uint64_t u = r >> 11;
      x.push_back(nan && u % 9 == 0 ? NAN : (i % N == 2 ? double(u % 3) : double(u % 100000) / 977.0 - 40.0));  // column 2: ties
    }
  }
  expect_stream_equals_batch(exprs, f);
}

// A node that a window reads computes its row in its history's next slot, and the moments (Sum, Mean,
// Var, Std) step eight instruments at a time from a state kept between bars. Windows over constants
// and fields, chains of windowed nodes, lags longer than any window, NaNs, repeats and signed zeros
// (the states' special cases), in universes that fill whole lanes of eight and leave a tail, still
// equal batch on every row.
TEST(FeatureStream, WindowsOverConstantsFieldsAndChainsEqualBatch) {
  const std::vector<std::string> exprs = {
      "Mean(2, 5)", "Sum(1, 10) + $close", "Corr($close, 3, 5)", "Ref(4, 2)", "Std(Mean($close, 3), 4)", "Ref(Mean($close, 3), 7) - $close",
      "Delta(Ref($close, 2), 30)", "ts_rank($close, 1)", "Max(Delta($close, 1), 6) / Min($close, 2)", "$close", "Ref($close, 1)",
      "Mean($close, 4)", "Sum($close, 6)", "Var($close, 3)", "Std($close, 5)", "ts_mean($close, 4)", "ts_sum($close, 3)", "ts_std($close, 5)",
      "Mean($flat, 3)", "Sum($flat, 4)", "Std($flat, 3)", "Var($flat, 5)", "ts_sum($flat, 2)", "EMA($close, 5)"};
  for (std::size_t N : {7u, 16u, 19u}) {
    const std::size_t T = 90;
    FieldPanel f;
    f.rows = T;
    for (std::size_t j = 0; j < N; ++j) f.instruments.push_back("S" + std::to_string(j));
    auto& close = f.fields["close"];
    auto& flat = f.fields["flat"];  // runs of one value, -0.0 beside 0.0, negatives only, NaN
    const double levels[] = {-0.0, 0.0, 0.0, 1.5, 1.5, 1.5, -2.0, -2.0, NAN, -0.0};
    for (std::size_t i = 0; i < T * N; ++i) {
      close.push_back(i % 11 == 4 ? NAN : 50.0 + std::sin(0.37 * double(i)) * 10.0);
      flat.push_back(levels[(i / N / 3 + i % N) % 10]);
    }
    SCOPED_TRACE(N);
    expect_stream_equals_batch(exprs, f);
  }
}

TEST(FeatureStream, MissingFieldsAreNamed) {
  features::Program p;
  const features::NodeId id = p.add("Mean($close, 3) / $open");
  features::FactorStream stream(p, {id}, 2);
  features::BarFields bar{{"close", {1, 2}}};
  try {
    stream.update(bar);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "open");
  }
  bar["open"] = {1};
  EXPECT_THROW(stream.update(bar), Error);
  bar["open"] = {1, 1};
  stream.update(bar);
  EXPECT_EQ(stream.value(0)[1], 2.0);
}

}  // namespace
}  // namespace sextant::test
