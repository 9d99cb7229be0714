// The expression language: parse errors with their positions, canonicalisation (two spellings, one
// node), argument checks, and the evaluator on small hand-checked panels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>

#include "sextant/analytics/ta.hpp"
#include "sextant/features/compiler.hpp"
#include "sextant/features/evaluate.hpp"

namespace sextant::features {
namespace {

std::size_t error_position(const std::string& expr) {
  try {
    Program p;
    p.add(expr);
  } catch (const ExpressionError& e) {
    return e.position();
  }
  ADD_FAILURE() << expr << " compiled";
  return std::string::npos;
}

std::string error_message(const std::string& expr) {
  try {
    Program p;
    p.add(expr);
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.field(), "expression");
    return e.what();
  }
  ADD_FAILURE() << expr << " compiled";
  return {};
}

TEST(Expression, ParseErrorsNameTheirPosition) {
  EXPECT_EQ(error_position("Mean($close, 5"), 14u);     // missing ')'
  EXPECT_EQ(error_position("$close + * 2"), 9u);        // operand expected
  EXPECT_EQ(error_position("($close"), 7u);
  EXPECT_EQ(error_position("$close $open"), 7u);        // trailing input
  EXPECT_EQ(error_position("Mean($close 5)"), 12u);     // ',' expected
  EXPECT_EQ(error_position("close + 1"), 0u);           // a field without '$'
  EXPECT_EQ(error_position("$ close"), 1u);
  EXPECT_EQ(error_position(""), 0u);
  EXPECT_EQ(error_position("1 + 2e400"), 4u);
  EXPECT_NE(error_message("1 + 2e400").find("out of the double range"), std::string::npos);
  EXPECT_NE(error_message("Mean($close, 5").find("at position 14"), std::string::npos);
}

TEST(Expression, ResolutionErrorsNameTheFunctionAndPosition) {
  EXPECT_EQ(error_position("$close / Foo($open)"), 9u);
  EXPECT_NE(error_message("$close / Foo($open)").find("unknown function 'Foo'"), std::string::npos);
  EXPECT_EQ(error_position("Mean($close, 0)"), 13u);
  EXPECT_NE(error_message("Mean($close, 0)").find("must be >= 1"), std::string::npos);
  EXPECT_NE(error_message("Mean($close, -3)").find("must be >= 1"), std::string::npos);
  EXPECT_NE(error_message("Mean($close, 2.5)").find("must be an integer"), std::string::npos);
  EXPECT_NE(error_message("Mean($close, $open)").find("must be a number"), std::string::npos);
  EXPECT_NE(error_message("Mean($close)").find("takes 2 arguments, not 1"), std::string::npos);
  EXPECT_NE(error_message("Ref($close, -1)").find("no look-ahead"), std::string::npos);
  EXPECT_NE(error_message("Quantile($close, 5, 1.5)").find("[0, 1]"), std::string::npos);
  EXPECT_NE(error_message("RSI($close, 1)").find("optInTimePeriod"), std::string::npos);
  std::string deep(300, '(');
  EXPECT_NE(error_message(deep + "1" + std::string(300, ')')).find("deeper than 256"), std::string::npos);
}

TEST(Expression, TwoSpellingsAreOneNode) {
  Program p;
  const NodeId a = p.add("Mean($close, 5) / $close");
  const NodeId b = p.add("( Mean( $close,5 ) )/$close");
  EXPECT_EQ(a, b);
  EXPECT_EQ(p.add("$close + $open"), p.add("$open+$close"));
  EXPECT_EQ(p.add("$close < $open"), p.add("Gt($open, $close)"));
  EXPECT_EQ(p.add("$close <= $open"), p.add("$open >= $close"));
  EXPECT_EQ(p.add("-$close"), p.add("$close * -1"));
  EXPECT_EQ(p.add("delay($close, 3)"), p.add("Ref($close, 3)"));
  EXPECT_EQ(p.add("Ref($close, 0)"), p.add("$close"));
  EXPECT_EQ(p.add("ts_min($low, 5.7)"), p.add("min($low, 5)"));  // the paper's windows are floored
  EXPECT_EQ(p.add("max($low, $high)"), p.add("Greater($high, $low)"));
  EXPECT_EQ(p.add("$close * (2 * 3)"), p.add("6 * $close"));  // constants fold
  EXPECT_EQ(p.add("Corr($close, $volume, 10)"), p.add("Corr($volume, $close, 10)"));
  EXPECT_EQ(p.add("$close > 0 ? $open : $high"), p.add("If(Gt($close, 0), $open, $high)"));
  EXPECT_NE(p.add("Mean($close, 5)"), p.add("ts_mean($close, 5)"));  // min_periods 1 vs strict
  EXPECT_NE(p.add("$close - $open"), p.add("$open - $close"));
  EXPECT_EQ(p.canonical(a), "Div(Mean($close, 5), $close)");
  // The canonical form parses back to the same node.
  EXPECT_EQ(p.add(p.canonical(p.add("rank(delta(log($volume), 2)) * -1"))), p.add("-1 * rank(Delta(Log($volume), 2))"));
  EXPECT_EQ(p.add(p.canonical(p.add("EMA($close, 10) - TA_EMA($close, 10)"))), p.add("EMA($close, 10) - TA_EMA($close, 10)"));
}

TEST(Expression, SharedSubexpressionsAreComputedOnce) {
  Program p;
  p.add("Mean($close, 20) / $close");
  const std::size_t before = p.nodes().size();
  p.add("Mean($close, 20) - $open");
  EXPECT_EQ(p.nodes().size(), before + 2);  // $open and the Sub: the mean is shared
}

TEST(Expression, WarmupFollowsTheLongestPath) {
  Program p;
  EXPECT_EQ(p.node(p.add("Mean(Ref($close, 3), 5)")).warmup, 7u);
  EXPECT_EQ(p.node(p.add("Corr($close, Ref($volume, 1), 10)")).warmup, 10u);
  EXPECT_TRUE(p.node(p.add("EMA($close, 10)")).unbounded);
  EXPECT_FALSE(p.node(p.add("Std($close, 10)")).unbounded);
}

// A 6-row, 2-instrument panel with hand-checked values.
FieldPanel small_panel() {
  FieldPanel f;
  f.rows = 6;
  f.instruments = {"A", "B"};
  f.fields["close"] = {1, 10, 2, 9, 4, 8, 3, 7, 5, 6, 6, 5};
  f.fields["open"] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  return f;
}

std::vector<double> eval(const std::string& expr, const FieldPanel& f, bool last_only = false) {
  Program p;
  const NodeId id = p.add(expr);
  EvalOptions o;
  o.last_only = last_only;
  const auto values = evaluate(p, std::span<const NodeId>(&id, 1), f, o);
  return {values[0].begin(), values[0].end()};
}

void expect_values(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << "cell " << i << ": " << got[i];
    else EXPECT_NEAR(got[i], want[i], 1e-12) << "cell " << i;
  }
}

TEST(Evaluate, QlibWindowsStartAtOneValueThePapersWhenFull) {
  const auto f = small_panel();
  const double n = NAN;
  // A: 1 2 4 3 5 6; B: 10 9 8 7 6 5
  expect_values(eval("Mean($close, 3)", f), {1, 10, 1.5, 9.5, 7.0 / 3, 9, 3, 8, 4, 7, 14.0 / 3, 6});
  expect_values(eval("ts_mean($close, 3)", f), {n, n, n, n, 7.0 / 3, 9, 3, 8, 4, 7, 14.0 / 3, 6});
  expect_values(eval("Max($close, 2)", f), {1, 10, 2, 10, 4, 9, 4, 8, 5, 7, 6, 6});
  expect_values(eval("IdxMax($close, 3)", f), {1, 1, 2, 1, 3, 1, 2, 1, 3, 1, 3, 1});
  expect_values(eval("Ref($close, 2)", f), {n, n, n, n, 1, 10, 2, 9, 4, 8, 3, 7});
  expect_values(eval("Std($close, 2)", f), {n, n, std::sqrt(0.5), std::sqrt(0.5), std::sqrt(2), std::sqrt(0.5),
                                             std::sqrt(0.5), std::sqrt(0.5), std::sqrt(2), std::sqrt(0.5),
                                             std::sqrt(0.5), std::sqrt(0.5)});
  expect_values(eval("Rank($close, 3)", f), {1, 1, 1, 0.5, 1, 1.0 / 3, 2.0 / 3, 1.0 / 3, 1, 1.0 / 3, 1, 1.0 / 3});
  expect_values(eval("Mean($close, 3)", f, true), {14.0 / 3, 6});
}

TEST(Evaluate, CrossSectionalOperatorsRankAcrossInstruments) {
  const auto f = small_panel();
  expect_values(eval("cs_rank($close)", f), {0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 1, 0.5});
  expect_values(eval("cs_demean($close)", f), {-4.5, 4.5, -3.5, 3.5, -2, 2, -2, 2, -0.5, 0.5, 0.5, -0.5});
  FieldPanel one;
  one.rows = 2;
  one.instruments = {"A"};
  one.fields["close"] = {1, 2};
  try {
    eval("cs_rank($close)", one);
    FAIL() << "a cross-sectional operator on one instrument";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "factors[0]");
    EXPECT_NE(std::string(e.what()).find("at least 2 instruments"), std::string::npos);
  }
}

// Wide rows take the radix paths of cs_rank (600 and 3,000 values): ties, values equal in their
// leading 32 bits, -0.0 and 0.0, infinities and NaN, against ranks counted pair by pair.
void check_wide_ranks(std::size_t N) {
  FieldPanel f;
  f.rows = 4;
  for (std::size_t j = 0; j < N; ++j) f.instruments.push_back("S" + std::to_string(j));
  auto& x = f.fields["close"];
  x.resize(f.rows * N);
  std::uint64_t s = 42;
  auto next = [&] { return (s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 11; };
  for (std::size_t j = 0; j < N; ++j) {
    x[j] = double(next() % 1000) / 7.0 - 70.0;                          // many ties, both signs
    x[N + j] = 100.0 + double(next() % 2000) * 1e-12;                   // equal in the leading bits
    x[2 * N + j] = -100.0 - double(next() % 2000) * 1e-12;
    x[3 * N + j] = double(std::int64_t(next() % 2000001) - 1000000) * 1e-3;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  x[3 * N + 0] = -0.0, x[3 * N + 1] = 0.0, x[3 * N + 2] = inf, x[3 * N + 3] = -inf, x[3 * N + 4] = nan, x[N + 7] = nan;
  const auto got = eval("cs_rank($close)", f), pct = eval("cs_percentile($close)", f), dec = eval("cs_decile($close)", f);
  for (std::size_t t = 0; t < f.rows; ++t) {
    const double* row = x.data() + t * N;
    double count = 0;
    for (std::size_t j = 0; j < N; ++j) count += row[j] == row[j];
    for (std::size_t j = 0; j < N; ++j) {
      const std::size_t c = t * N + j;
      if (row[j] != row[j]) {
        EXPECT_TRUE(std::isnan(got[c]) && std::isnan(pct[c]) && std::isnan(dec[c])) << t << "," << j;
        continue;
      }
      double less = 0, equal = 0;
      for (std::size_t k = 0; k < N; ++k) less += row[k] < row[j], equal += row[k] == row[j];
      const double rank = less + (equal + 1) / 2, p = (rank - 1) / (count - 1);
      ASSERT_EQ(got[c], rank / count) << "row " << t << ", column " << j;
      ASSERT_EQ(pct[c], p) << "row " << t << ", column " << j;
      ASSERT_EQ(dec[c], std::min(10.0, std::floor(p * 10) + 1)) << "row " << t << ", column " << j;
    }
  }
}

TEST(Evaluate, CrossSectionalRankIsExactOnWideRows) {
  check_wide_ranks(3000);  // 11-bit digits
  check_wide_ranks(600);   // 8-bit digits
}

// indneutralize: x minus its group's mean over the row's non-NaN values; groups compared as values
// (-0.0 is 0.0); NaN where the group is NaN or has no value. A wide row too (the table grows).
TEST(Evaluate, IndNeutralizeSubtractsTheGroupMean) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FieldPanel f;
  f.rows = 1;
  for (int j = 0; j < 7; ++j) f.instruments.push_back("S" + std::to_string(j));
  f.fields["close"] = {1.0, 2.0, 4.0, nan, 10.0, 7.0, 3.0};
  f.fields["sector"] = {0.0, -0.0, 1.0, 1.0, 1.0, nan, 2.0};
  f.fields["close"][6] = nan;  // sector 2 has no value
  expect_values(eval("indneutralize($close, $sector)", f), {-0.5, 0.5, -3.0, nan, 3.0, nan, nan});

  const std::size_t N = 3000;
  FieldPanel w;
  w.rows = 1;
  for (std::size_t j = 0; j < N; ++j) w.instruments.push_back("S" + std::to_string(j));
  auto& x = w.fields["close"];
  auto& g = w.fields["sector"];
  for (std::size_t j = 0; j < N; ++j) x.push_back(double((j * 7919) % 1000) / 10.0), g.push_back(double(j % 97) * 1.5);
  const auto got = eval("indneutralize($close, $sector)", w);
  for (std::size_t j = 0; j < N; ++j) {
    double s = 0, c = 0;
    for (std::size_t k = 0; k < N; ++k)
      if (g[k] == g[j]) s += x[k], ++c;
    ASSERT_EQ(got[j], x[j] - s / c) << j;
  }
}

// The one-row path of the window operators (the stream, last_only) reads the window in place; it must
// give the bits the full-panel scan gives, with NaN inside windows, ties, partial and strict windows.
TEST(Evaluate, LastRowWindowsEqualTheFullPanel) {
  const std::size_t N = 9, T = 40;
  FieldPanel full;
  full.rows = T;
  for (std::size_t j = 0; j < N; ++j) full.instruments.push_back("S" + std::to_string(j));
  auto& x = full.fields["close"];
  x.resize(T * N);
  std::uint64_t s = 7;
  auto next = [&] { return (s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 11; };
  for (std::size_t i = 0; i < T * N; ++i) {
    const std::uint64_t r = next();
    x[i] = r % 9 == 0 ? NAN : (i % N == 3 ? double(r % 4) : double(r % 100000) / 977.0 - 40.0);  // column 3: ties
  }
  for (std::size_t t = 0; t < T; ++t) x[t * N + 5] = t % 2 ? NAN : x[t * N + 5];  // half its rows NaN
  const char* exprs[] = {"Max($close, 6)", "Min($close, 6)", "IdxMax($close, 6)", "IdxMin($close, 6)", "Rank($close, 6)",
                         "Count($close, 6)", "WMA($close, 6)", "Mad($close, 6)", "Skew($close, 6)", "Kurt($close, 6)",
                         "Slope($close, 6)", "Rsquare($close, 6)", "Resi($close, 6)", "ts_max($close, 5)", "ts_min($close, 5)",
                         "ts_argmax($close, 5)", "ts_argmin($close, 5)", "ts_rank($close, 5)", "decay_linear($close, 5)",
                         "ts_product($close, 3)", "Max($close, 60)", "Slope($close, 60)", "ts_rank($close, 60)"};
  for (const char* e : exprs) {
    const auto all = eval(e, full);
    for (std::size_t rows : {std::size_t(1), std::size_t(4), std::size_t(7), std::size_t(23), T}) {
      FieldPanel head = full;
      head.rows = rows;
      head.fields["close"].resize(rows * N);
      const auto last = eval(e, head, true);
      ASSERT_EQ(last.size(), N) << e;
      for (std::size_t j = 0; j < N; ++j) {
        const double want = all[(rows - 1) * N + j];
        if (std::isnan(want)) EXPECT_TRUE(std::isnan(last[j])) << e << " rows " << rows << " column " << j;
        else EXPECT_EQ(last[j], want) << e << " rows " << rows << " column " << j;
      }
    }
  }
}

// Rolling nodes over the same input and window are computed together (Max with IdxMax, Slope with
// Rsquare and Resi, Quantiles with Med): asked together they give each one's bits alone, in each way
// the evaluator runs (small panels by level, large ones by instrument block, and node by node when a
// cross-sectional operator is asked too), on blocks of 8 lanes and the leftovers.
TEST(Evaluate, SharedWindowsEqualEachAlone) {
  const char* exprs[] = {"Max($close, 7)", "IdxMax($close, 7)", "ts_max($close, 7)", "ts_argmax($close, 7)", "Min($close, 7)",
                         "IdxMin($close, 7)", "ts_argmin($close, 7)", "Slope($close, 9)", "Rsquare($close, 9)", "Resi($close, 9)",
                         "Quantile($close, 8, 0.8)", "Quantile($close, 8, 0.2)", "Med($close, 8)", "Max($close, 30)",
                         "IdxMax($close, 30)", "Resi($close, 30)", "Slope($close, 30)", "Skew($close, 9)", "Kurt($close, 9)"};
  for (auto [T, N, cross] : {std::tuple{40, 19, false}, std::tuple{2000, 37, false}, std::tuple{2000, 37, true}}) {
    FieldPanel f;
    f.rows = std::size_t(T);
    for (int j = 0; j < N; ++j) f.instruments.push_back("S" + std::to_string(j));
    auto& x = f.fields["close"];
    std::uint64_t s = 11;
    for (int i = 0; i < T * N; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::uint64_t r = s >> 11;
      x.push_back(r % 7 == 0 ? NAN : (i % N == 2 ? double(r % 3) : double(r % 100000) / 977.0 - 40.0));  // column 2: ties
    }
    Program p;
    std::vector<NodeId> ids;
    for (const char* e : exprs) ids.push_back(p.add(e));
    if (cross) ids.push_back(p.add("cs_rank($close)"));
    const auto together = evaluate(p, ids, f);
    for (std::size_t k = 0; k < std::size(exprs); ++k) {
      const auto alone = eval(exprs[k], f);
      for (std::size_t i = 0; i < alone.size(); ++i) {
        if (std::isnan(alone[i])) EXPECT_TRUE(std::isnan(together[k][i])) << exprs[k] << " cell " << i << " T " << T;
        else EXPECT_EQ(together[k][i], alone[i]) << exprs[k] << " cell " << i << " T " << T;
      }
    }
  }
}

TEST(Evaluate, UnknownFieldsAreNamed) {
  try {
    eval("$close / $cap", small_panel());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field $cap"), std::string::npos) << e.what();
  }
}

TEST(Evaluate, TaLibFunctionsMatchTheAnalyticsEngine) {
  FieldPanel f;
  f.rows = 40;
  f.instruments = {"A"};
  for (int t = 0; t < 40; ++t) f.fields["close"].push_back(100 + std::sin(t * 0.7) * 5 + t * 0.1);
  const auto rsi = eval("RSI($close, 14)", f);
  const auto* def = analytics::ta::find("RSI");
  analytics::ta::Inputs in;
  in.real = f.fields["close"];
  in.close = f.fields["close"];
  const double period = 14;
  const auto want = analytics::ta::run(*def, in, std::span<const double>(&period, 1));
  for (std::size_t t = 0; t < 40; ++t) {
    if (std::isnan(want.outputs[0][t])) EXPECT_TRUE(std::isnan(rsi[t]));
    else EXPECT_DOUBLE_EQ(rsi[t], want.outputs[0][t]);
  }
}

}  // namespace
}  // namespace sextant::features
