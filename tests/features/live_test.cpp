// The features engine on the bus: bars published on marketdata.bars.<SYM> come back as features.<SYM>
// snapshots, one per instrument and bar, whose values equal batch mode's on the same rows.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

#include "sextant/bus/codec.hpp"
#include "sextant/features/catalogue.hpp"
#include "sextant/features/evaluate.hpp"
#include "sextant/features/live.hpp"

namespace sextant::features {
namespace {

TEST(LiveFeatures, BarsOnTheBusComeBackAsSnapshotsEqualToBatch) {
  auto bus = std::make_shared<bus::InProcessBus>();
  bus::BusPublisher publisher(bus, "features");
  const std::vector<std::string> factors = {"alpha158.KMID", "Mean($close, 3)", "cs_rank($close)", "ts_rank($volume, 4)"};
  LiveFeatures live(factors, {}, publisher);
  bus->subscribe(std::string(bus::patterns::all_bars), [&](const bus::Envelope& e) {
    live.on_bar(std::get<bus::MarketBar>(bus::decode(e.type, e.payload)));
  });
  std::mutex m;
  std::vector<bus::FeatureSnapshot> got;
  bus->subscribe(std::string(bus::patterns::all_features), [&](const bus::Envelope& e) {
    std::lock_guard lock(m);
    got.push_back(std::get<bus::FeatureSnapshot>(bus::decode(e.type, e.payload)));
  });

  const std::vector<std::string> symbols = {"AAA", "BBB", "CCC"};
  const std::size_t T = 12, N = symbols.size();
  FieldPanel panel;
  panel.rows = T;
  panel.instruments = symbols;
  for (const char* f : {"open", "high", "low", "close", "volume"}) panel.fields[f].resize(T * N);
  bus::BusPublisher feed(bus, "test");
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t j = 0; j < N; ++j) {
      bus::MarketBar b;
      b.symbol = symbols[j];
      b.ts_ns = std::int64_t(t + 1) * 1000;
      b.open = 10 + j + 0.1 * double(t % 5);
      b.close = b.open * (1 + 0.01 * std::sin(double(t * 3 + j)));
      b.high = std::max(b.open, b.close) + 0.05;
      b.low = std::min(b.open, b.close) - 0.05;
      b.volume = 1000 + 37.0 * double((t * 7 + j * 3) % 11);
      const std::size_t i = t * N + j;
      panel.fields["open"][i] = b.open, panel.fields["high"][i] = b.high, panel.fields["low"][i] = b.low;
      panel.fields["close"][i] = b.close, panel.fields["volume"][i] = b.volume;
      feed.publish(b, bus::Priority::normal);
    }
  bus->drain();
  bus->drain();  // the snapshots published while the bars were delivered

  ASSERT_EQ(got.size(), T * N);
  const auto stats = live.stats();
  EXPECT_EQ(stats.rows, T);
  EXPECT_EQ(stats.instruments, N);
  const auto compiled = compile_factors(factors, FieldDefaults{});
  const auto batch = evaluate(compiled.program, compiled.outputs, panel);
  for (const auto& s : got) {
    const std::size_t t = std::size_t(s.ts_ns / 1000 - 1);
    const std::size_t j = std::size_t(std::find(symbols.begin(), symbols.end(), s.symbol) - symbols.begin());
    ASSERT_LT(j, N);
    ASSERT_EQ(s.values.size(), factors.size());
    for (std::size_t k = 0; k < factors.size(); ++k) {
      EXPECT_EQ(s.values[k].first, factors[k]);
      const double want = batch[k][t * N + j], v = s.values[k].second;
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(v)) << factors[k] << " row " << t;
      else EXPECT_EQ(v, want) << factors[k] << " row " << t << " " << s.symbol;
    }
  }
  // A late bar and a symbol outside the universe are counted and ignored.
  bus::MarketBar late{"AAA", 5000, 1, 1, 1, 1, 1}, stranger{"ZZZ", 99000, 1, 1, 1, 1, 1};
  live.on_bar(late);
  live.on_bar(stranger);
  EXPECT_EQ(live.stats().ignored, 2u);
}

TEST(LiveFeatures, TheDefaultActiveSetCompilesOverOhlcv) {
  const auto ids = LiveFeatures::default_factors();
  EXPECT_GT(ids.size(), 400u);
  EXPECT_NO_THROW(compile_factors(ids, FieldDefaults{}));
}

}  // namespace
}  // namespace sextant::features
