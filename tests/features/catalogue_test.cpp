// The catalogue: every definition compiles, ids are unique, definitions are distinct after
// canonicalisation, and every factor has values on a realistic panel (no definition is dead).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

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
  for (const auto& [family, count] : family_counts()) n[family] = count;
  EXPECT_EQ(n["alpha158"], 158u);
  EXPECT_EQ(n["alpha360"], 360u);
  EXPECT_EQ(n["wq101"], 101u);
}

TEST(Catalogue, IdsAreUniqueAndDefinitionsDistinct) {
  std::set<std::string> ids;
  Program program(FieldDefaults{{"open", "high", "low", "close", "volume", "sector", "industry", "subindustry", "cap"}});
  std::map<std::pair<std::string, NodeId>, std::string> first;  // per family
  for (const Factor& f : catalogue()) {
    EXPECT_TRUE(ids.insert(f.id).second) << f.id << " twice";
    EXPECT_FALSE(f.description.empty()) << f.id;
    NodeId id = 0;
    ASSERT_NO_THROW(id = program.add(f.expression)) << f.id << ": " << f.expression;
    auto [it, fresh] = first.emplace(std::make_pair(f.family, id), f.id);
    EXPECT_TRUE(fresh) << f.id << " is the same factor as " << it->second;
    EXPECT_EQ(find_factor(f.id), &f);
  }
}

TEST(Catalogue, EveryFactorHasValuesOnARealisticPanel) {
  const FieldPanel panel = synthetic_panel(300, 12, 42);
  FieldDefaults supplied;
  supplied.supplied.clear();
  for (const auto& [name, v] : panel.fields) supplied.supplied.push_back(name);
  std::vector<std::string> ids;
  for (const Factor& f : catalogue()) ids.push_back(f.id);
  const auto compiled = compile_factors(ids, supplied);
  const auto values = evaluate(compiled.program, compiled.outputs, panel);
  const std::size_t N = panel.cols();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    std::size_t finite = 0;
    for (std::size_t j = 0; j < N; ++j) finite += std::isfinite(values[k][(panel.rows - 1) * N + j]);
    EXPECT_GT(finite, 0u) << ids[k] << " = " << catalogue()[k].expression << ": no finite value on the last row";
  }
}

}  // namespace
}  // namespace sextant::features
