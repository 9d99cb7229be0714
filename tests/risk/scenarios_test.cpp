// Prepared historical scenarios: the screen's bound holds, and historical_var gives calculate_var's
// historical figures (and the golden file's) for every quantile method, horizon, level and option.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

#include "sextant/core/error.hpp"
#include "sextant/risk/scenarios.hpp"
#include "sextant/risk/var.hpp"
#include "support/test_support.hpp"

namespace sextant::risk {
namespace {

const std::vector<double> kWeights{0.1, 0.2, 0.1, 0.3, 0.2, 0.1};
const QuantileMethod kQuantileMethods[] = {QuantileMethod::linear, QuantileMethod::inverted_cdf, QuantileMethod::lower,
                                           QuantileMethod::higher, QuantileMethod::midpoint, QuantileMethod::nearest};

void expect_rel(double got, double want, double rel, const std::string& what) {
  EXPECT_LE(std::abs(got - want), rel * std::max(std::abs(want), 1e-300)) << what << ": " << got << " vs " << want;
}

// calculate_var's historical figures, level by level.
std::vector<VarFigures> full_pass(MatrixView x, std::span<const double> w, VarOptions opt) {
  opt.methods = {VarMethod::historical};
  std::vector<VarFigures> out;
  for (auto& level : calculate_var(x, w, opt).results) out.push_back(level[0].second);
  return out;
}

void expect_same(const std::vector<VarFigures>& got, const std::vector<VarFigures>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t l = 0; l < got.size(); ++l) {
    const std::string at = what + " level " + std::to_string(l);
    expect_rel(got[l].var, want[l].var, 1e-12, at + " var");
    expect_rel(got[l].es, want[l].es, 1e-12, at + " es");
    ASSERT_EQ(got[l].component_es.size(), want[l].component_es.size()) << at;
    const double scale = std::abs(want[l].es);
    for (std::size_t i = 0; i < got[l].component_es.size(); ++i) {
      EXPECT_NEAR(got[l].component_es[i], want[l].component_es[i], 1e-12 * scale) << at << " component_es " << i;
      EXPECT_NEAR(got[l].component_var[i], want[l].component_var[i], 1e-12 * scale) << at << " component_var " << i;
      EXPECT_NEAR(got[l].marginal_var[i], want[l].marginal_var[i], 1e-12 * std::max(1.0, std::abs(want[l].marginal_var[i])))
          << at << " marginal_var " << i;
    }
    ASSERT_EQ(got[l].trade.has_value(), want[l].trade.has_value()) << at;
    if (got[l].trade) {
      expect_rel(got[l].trade->var_after, want[l].trade->var_after, 1e-12, at + " var_after");
      expect_rel(got[l].trade->es_after, want[l].trade->es_after, 1e-12, at + " es_after");
      EXPECT_NEAR(got[l].trade->incremental_var, want[l].trade->incremental_var, 1e-12 * scale) << at;
      ASSERT_TRUE(got[l].trade->first_order.has_value()) << at;
      EXPECT_NEAR(*got[l].trade->first_order, *want[l].trade->first_order, 1e-12 * scale) << at;
    }
  }
}

// A factor panel with fat-tailed assets (Student-t, 3 degrees of freedom), a crash day, a column of
// zeros and a constant column: coarse 8-bit scales where one day dominates a column.
Matrix awkward_panel(std::size_t t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::student_t_distribution<double> fat(3.0);
  Matrix x(t, n);
  for (std::size_t r = 0; r < t; ++r) {
    const double f = 0.01 * z(rng);
    for (std::size_t i = 0; i < n; ++i) x(r, i) = 0.0003 + 0.7 * f + (i % 3 == 0 ? 0.008 * fat(rng) : 0.012 * z(rng));
  }
  x(t / 2, 1) = -0.45;
  for (std::size_t r = 0; r < t; ++r) x(r, 2) = 0.0, x(r, 4) = 0.001;
  return x;
}

TEST(Scenarios, MatchTheGoldenFileForEveryQuantileMethod) {
  auto g = test::golden("golden/lpp2005_risk.json");
  Matrix r = test::lpp_returns_x100();
  const HistoricalScenarios s = prepare_scenarios(r);
  const char* names[] = {"linear", "inverted_cdf", "lower", "higher", "midpoint", "nearest"};
  for (const char* level : {"0.95", "0.99"}) {
    auto L = g["levels"][level];
    for (const char* q : names) {
      VarOptions opt;
      opt.confidence_levels = {std::stod(level)};
      opt.quantile_method = parse_quantile_method(q);
      const VarFigures f = historical_var(s, kWeights, opt)[0];
      expect_rel(f.var, double(L[std::string("historical_var_") + q]), 1e-10, std::string("var ") + q + " " + level);
      expect_rel(f.es, double(L[std::string("historical_es_") + q]), 1e-10, std::string("es ") + q + " " + level);
    }
  }
}

TEST(Scenarios, ScreenBoundHoldsForEveryRowAndIsTight) {
  Matrix x = awkward_panel(700, 97, 5);  // 97: a partial last 16-column step
  const HistoricalScenarios s = prepare_scenarios(x);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z;
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<double> w(97);
    for (double& v : w) v = trial == 3 ? 1e6 * z(rng) : z(rng) / 97.0;  // trial 3: currency amounts
    if (trial == 2) std::fill(w.begin(), w.end(), 0.0), w[1] = 0.9;   // one position, on the crash column
    const ScreenedReturns sc = screen(s, w);
    ASSERT_EQ(sc.approx.size(), x.rows());
    double quantisation = 0;
    for (std::size_t i = 0; i < 97; ++i) quantisation += std::abs(w[i]) * s.scale[i];
    EXPECT_GT(sc.bound, 0.0);
    // Half a step per asset, and ~2% more for the 16-bit weights (here 0.500-0.517).
    EXPECT_LE(sc.bound, 0.53 * quantisation) << trial << ": the bound is what the rounding allows, no looser";
    double worst = 0;
    for (std::size_t r = 0; r < x.rows(); ++r) {
      long double exact = 0;
      for (std::size_t i = 0; i < 97; ++i) exact += (long double)w[i] * x(r, i);
      worst = std::max(worst, double(std::abs(sc.approx[r] - exact)));
    }
    EXPECT_LE(worst, sc.bound) << trial;
    EXPECT_GT(worst, 0.02 * sc.bound) << trial << ": a bound far above every error screens out little";
  }
}

TEST(Scenarios, AgreeWithTheFullPassForEveryQuantileMethodHorizonAndLevel) {
  Matrix x = awkward_panel(900, 61, 7);
  const HistoricalScenarios s = prepare_scenarios(x);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z;
  std::vector<double> w(61);
  for (double& v : w) v = 0.02 + 0.01 * z(rng);  // long-only with a few shorts
  w[5] = -0.05, w[2] = 0.1;                      // a weight on the zero column
  for (QuantileMethod qm : kQuantileMethods)
    for (int h : {1, 5, 20}) {
      VarOptions opt;
      opt.confidence_levels = {0.99, 0.95, 0.9, 0.5, 0.999};
      opt.quantile_method = qm;
      opt.horizon = h;
      expect_same(historical_var(s, w, opt), full_pass(x, w, opt), "h " + std::to_string(h) + " q " + std::to_string(int(qm)));
    }
}

TEST(Scenarios, TiesAtTheQuantileStayInTheTail) {
  // Repeated days make many equal portfolio returns at the quantile; all of them are tail days.
  Matrix base = awkward_panel(50, 8, 9);
  Matrix x(500, 8);
  for (std::size_t r = 0; r < 500; ++r)
    for (std::size_t i = 0; i < 8; ++i) x(r, i) = base(r % 50, i);
  const HistoricalScenarios s = prepare_scenarios(x);
  const std::vector<double> w{0.2, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1};
  for (QuantileMethod qm : kQuantileMethods) {
    VarOptions opt;
    opt.confidence_levels = {0.99, 0.95, 0.97};
    opt.quantile_method = qm;
    expect_same(historical_var(s, w, opt), full_pass(x, w, opt), "ties q " + std::to_string(int(qm)));
  }
}

TEST(Scenarios, TradesAndWeightedOptionsMatchTheFullPass) {
  Matrix r = test::lpp_returns_x100();
  const HistoricalScenarios s = prepare_scenarios(r);
  VarOptions opt;
  opt.trade = {0.002, -0.002, 0.0, 0.0, 0.0, 0.0};
  expect_same(historical_var(s, kWeights, opt), full_pass(r, kWeights, opt), "trade");
  VarOptions aged;
  aged.age_weighting_lambda = 0.97;
  expect_same(historical_var(s, kWeights, aged), full_pass(r, kWeights, aged), "age weighting");
  VarOptions filtered;
  filtered.filtered_lambda = 0.94;
  expect_same(historical_var(s, kWeights, filtered), full_pass(r, kWeights, filtered), "filtering");
  VarOptions plain;
  plain.decompose = false;
  const auto f = historical_var(s, kWeights, plain);
  EXPECT_TRUE(f[0].component_es.empty());
  expect_rel(f[1].var, full_pass(r, kWeights, plain)[1].var, 1e-12, "no decomposition");
}

TEST(Scenarios, WeightsNearTheDoubleRangeTakeTheFullPass) {
  // Returns in percent with three ±50 days: with these weights Σ|w_i|·max|r_i| = 1.05 × DBL_MAX
  // overflows, and no portfolio return or tail sum does.
  Matrix x(60, 2);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> z;
  for (std::size_t t = 0; t < 60; ++t) x(t, 0) = z(rng), x(t, 1) = z(rng);
  x(10, 0) = 50, x(20, 1) = -50, x(30, 0) = x(30, 1) = -50;
  const HistoricalScenarios s = prepare_scenarios(x);
  const double big = 0.7 * std::numeric_limits<double>::max() / 50;
  const std::vector<double> w{big, -0.5 * big};
  EXPECT_EQ(screen(s, w).bound, std::numeric_limits<double>::infinity());
  VarOptions opt;
  opt.confidence_levels = {0.9};
  expect_same(historical_var(s, w, opt), full_pass(x, w, opt), "huge weights");
  // Where day 30's return overflows, both refuse, naming the weights (not an Inf in the answer).
  const std::vector<double> w2{big, big};
  for (auto call : {std::function<void()>([&] { historical_var(s, w2, opt); }), std::function<void()>([&] { full_pass(x, w2, opt); })}) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "weights");
      EXPECT_EQ(e.code(), ErrorCode::non_finite);
    }
  }
}

TEST(Scenarios, BadInputNamesTheField) {
  auto field_of = [](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return e.field() + " / " + e.what();
    }
    return std::string("no error");
  };
  Matrix r = test::lpp_returns_x100();
  Matrix bad = r;
  bad(7, 3) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(field_of([&] { prepare_scenarios(bad); }), "returns / 'returns' has a non-finite value at row 7, column 3");
  EXPECT_EQ(field_of([&] { prepare_scenarios(Matrix(1, 3)); }).substr(0, 7), "returns");
  const HistoricalScenarios s = prepare_scenarios(r);
  EXPECT_EQ(field_of([&] { historical_var(s, std::vector<double>{0.5, 0.5}, {}); }).substr(0, 7), "weights");
  EXPECT_EQ(field_of([&] { historical_var(s, std::vector<double>{0.1, 0.2, NAN, 0.3, 0.2, 0.1}, {}); }).substr(0, 7), "weights");
  EXPECT_EQ(field_of([&] { historical_var(s, std::vector<double>(6, 0.0), {}); }).substr(0, 7), "weights");
  VarOptions levels;
  levels.confidence_levels = {1.0};
  EXPECT_EQ(field_of([&] { historical_var(s, kWeights, levels); }).substr(0, 17), "confidence_levels");
  VarOptions horizon;
  horizon.horizon = int(r.rows());
  EXPECT_EQ(field_of([&] { historical_var(s, kWeights, horizon); }).substr(0, 7), "horizon");
  VarOptions trade;
  trade.trade = {1.0};
  EXPECT_EQ(field_of([&] { historical_var(s, kWeights, trade); }).substr(0, 5), "trade");
}

}  // namespace
}  // namespace sextant::risk
