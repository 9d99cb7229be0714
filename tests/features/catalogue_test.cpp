// The catalogue: every definition compiles, ids are unique, definitions are distinct after
// canonicalisation, and every factor has values on a realistic panel (no definition is dead).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <unordered_set>

#include "sextant/core/error.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"

namespace sextant::features {
namespace {

// N instruments of random-walk OHLCV over T days, with sector/industry/subindustry groups and caps.
FieldPanel synthetic_panel(std::size_t T, std::size_t N, std::uint64_t seed) {
  FieldPanel p;
  p.rows = T;
  for (std::size_t j = 0; j < N; ++j) p.instruments.push_back("S" + std::to_string(j));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* f : {"open", "high", "low", "close", "volume", "sector", "industry", "subindustry", "cap"}) p.fields[f].assign(T * N, 0);
  for (std::size_t j = 0; j < N; ++j) {
    double close = 50 + 10 * u(rng);
    for (std::size_t t = 0; t < T; ++t) {
      const double open = close * (1 + 0.005 * z(rng));
      close = open * (1 + 0.015 * z(rng));
      const std::size_t i = t * N + j;
      p.fields["open"][i] = open;
      p.fields["close"][i] = close;
      p.fields["high"][i] = std::max(open, close) * (1 + 0.01 * u(rng));
      p.fields["low"][i] = std::min(open, close) * (1 - 0.01 * u(rng));
      p.fields["volume"][i] = 1e6 * (1 + u(rng));
      p.fields["sector"][i] = double(j % 3);
      p.fields["industry"][i] = double(j % 4);
      p.fields["subindustry"][i] = double(j % 5);
      p.fields["cap"][i] = close * 1e7;
    }
  }
  return p;
}

TEST(Catalogue, FamiliesHaveTheirPublishedSizes) {
  std::map<std::string, std::size_t> n;
  std::size_t total = 0;
  for (const auto& [family, count] : family_counts()) n[family] = count, total += count;
  EXPECT_EQ(n["alpha158"], 158u);
  EXPECT_EQ(n["alpha360"], 360u);
  EXPECT_EQ(n["wq101"], 101u);
  for (const char* seed : {"technical", "momentum", "mean_reversion", "volatility", "volume", "statistical", "cross_sectional",
                           "factor_loadings", "decomposition", "fundamental"})
    EXPECT_GT(n[seed], 0u) << seed;
  EXPECT_EQ(total, catalogue_size());
}

// Every definition compiles; ids are unique and find_factor returns each; at least 380,000 definitions
// are distinct after canonicalisation, and so many remain without the cross-sectional ones (what one
// instrument can compute).
TEST(Catalogue, AtLeast380000DistinctDefinitions) {
  std::unordered_set<std::string> ids;
  Program program(FieldDefaults{{"open", "high", "low", "close", "volume", "sector", "industry", "subindustry", "cap", "eps", "revenue",
                                 "book_value", "net_income", "dividends", "debt", "cash_flow", "roe"}});
  std::unordered_set<NodeId> distinct, distinct_time_series;
  std::size_t i = 0;
  for_each_factor("", [&](const Factor& f) {
    EXPECT_TRUE(ids.insert(f.id).second) << f.id << " twice";
    if (f.description.empty()) ADD_FAILURE() << f.id << " has no description";
    NodeId id = 0;
    try {
      id = program.add(f.expression);
    } catch (const Error& e) {
      ADD_FAILURE() << f.id << ": " << f.expression << ": " << e.what();
      return;
    }
    distinct.insert(id);
    if (!program.node(id).cross_sectional) distinct_time_series.insert(id);
    if (i++ % 101 == 0) {  // ids decode back (a sample: the stored families are a map, the generated one parses)
      const auto back = find_factor(f.id);
      EXPECT_TRUE(back && back->expression == f.expression) << f.id;
    }
  });
  EXPECT_EQ(ids.size(), catalogue_size());
  EXPECT_GE(distinct.size(), 380000u);
  EXPECT_GE(distinct_time_series.size(), 380000u);
  RecordProperty("distinct", int(distinct.size()));
  RecordProperty("distinct_time_series", int(distinct_time_series.size()));
  EXPECT_FALSE(find_factor("generated.ts.MEAN.close.21"));  // 21 is not on the window grid
  EXPECT_FALSE(find_factor("generated.nest.SLOPE.MEAN"));
}

// Every stored factor (fundamentals aside), and every 97th generated one, has values on the last row of
// a realistic panel.
TEST(Catalogue, FactorsHaveValuesOnARealisticPanel) {
  const FieldPanel panel = synthetic_panel(650, 12, 42);  // TEMA(200) and TRIX(200) need 598 rows
  FieldDefaults supplied;
  supplied.supplied.clear();
  for (const auto& [name, v] : panel.fields) supplied.supplied.push_back(name);
  std::vector<std::string> ids;
  std::size_t i = 0;
  for_each_factor("", [&](const Factor& f) {
    if (f.family == "fundamental") return;  // no fundamentals in this panel
    if (f.family != "generated" || i++ % 97 == 0) ids.push_back(f.id);
  });
  const auto compiled = compile_factors(ids, supplied);
  const auto values = evaluate(compiled.program, compiled.outputs, panel);
  const std::size_t N = panel.cols();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    std::size_t finite = 0;
    for (std::size_t j = 0; j < N; ++j) finite += std::isfinite(values[k][(panel.rows - 1) * N + j]);
    EXPECT_GT(finite, 0u) << ids[k] << " = " << find_factor(ids[k])->expression << ": no finite value on the last row";
  }
}

// A plan made once serves every panel of its shape, bit for bit as planning each time would.
TEST(Evaluate, APlanServesEveryPanelOfItsShape) {
  std::vector<std::string> ids;
  for_each_factor("alpha158", [&](const Factor& f) { ids.push_back(f.id); });
  for_each_factor("wq101", [&](const Factor& f) { ids.push_back(f.id); });
  const FieldPanel a = synthetic_panel(120, 6, 1), b = synthetic_panel(120, 6, 2);
  FieldDefaults supplied;
  supplied.supplied.clear();
  for (const auto& [name, v] : a.fields) supplied.supplied.push_back(name);
  const auto compiled = compile_factors(ids, supplied);
  for (bool last : {false, true}) {
    EvalOptions opt;
    opt.last_only = last;
    const EvalPlan plan = plan_evaluation(compiled.program, compiled.outputs, 120, 6, opt);
    for (const FieldPanel* p : {&a, &b, &a}) {
      const auto once = evaluate(plan, *p), fresh = evaluate(compiled.program, compiled.outputs, *p, opt);
      for (std::size_t k = 0; k < ids.size(); ++k)
        for (std::size_t i = 0; i < once.cells(); ++i)
          ASSERT_TRUE(std::memcmp(&once[k][i], &fresh[k][i], sizeof(double)) == 0 || (std::isnan(once[k][i]) && std::isnan(fresh[k][i])))
              << ids[k] << " cell " << i;
    }
    const FieldPanel other = synthetic_panel(121, 6, 3);
    EXPECT_THROW(evaluate(plan, other), Error);
    FieldPanel missing = a;
    missing.fields.erase("volume");
    try {
      evaluate(plan, missing);
      ADD_FAILURE() << "a missing field ran";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_EQ(e.field().rfind("factors[", 0), 0u) << e.field();
    }
  }
}

TEST(Catalogue, ComputableFactorsLeaveOutWhatTheDataCannotFeed) {
  FieldDefaults ohlcv;  // open, high, low, close, volume
  const auto one = computable_factors("wq101", ohlcv, 1).ids;
  const auto many = computable_factors("wq101", ohlcv, 10).ids;
  EXPECT_LT(one.size(), many.size());  // most alphas rank across instruments
  EXPECT_LT(many.size(), 101u);        // the group-neutralised ones and #56 ($cap) need more fields
  FieldDefaults full{{"open", "high", "low", "close", "volume", "sector", "industry", "subindustry", "cap"}};
  const auto all = computable_factors("wq101", full, 10);
  EXPECT_EQ(all.ids.size(), 101u);
  EXPECT_EQ(all.compiled.outputs.size(), 101u);
  EXPECT_TRUE(computable_factors("fundamental", ohlcv, 10).ids.empty());
}

}  // namespace
}  // namespace sextant::features
