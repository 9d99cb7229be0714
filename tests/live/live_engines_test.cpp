// The engines on live bars: what each publishes, checked against an independent computation.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "sextant/analytics/live.hpp"
#include "sextant/core/error.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/simulator.hpp"
#include "sextant/ml/live.hpp"
#include "sextant/portfolio/live.hpp"
#include "sextant/risk/live.hpp"

namespace sextant {
namespace {

struct Recorder : bus::Publisher {
  std::vector<bus::Message> got;
  std::vector<bus::Priority> priority;
  void publish(bus::Message m, bus::Priority p) override {
    got.push_back(std::move(m));
    priority.push_back(p);
  }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : got)
      if (auto* x = std::get_if<T>(&m)) out.push_back(*x);
    return out;
  }
};

bus::MarketBar bar(const std::string& sym, std::int64_t ts, double close) {
  return {.symbol = sym, .ts_ns = ts, .open = close, .high = close, .low = close, .close = close, .volume = 100};
}

TEST(LiveCorrelation, SnapshotsEqualAPlainPearsonOfTheLastWindow) {
  data::SimulatorConfig sc;
  sc.instruments = 6;
  sc.sectors = 2;
  data::MarketSimulator sim(sc);
  data::BarStore store;
  Recorder out;
  analytics::LiveCorrelation live({.every_rows = 4, .window = 20}, store, out);
  std::vector<std::vector<double>> closes(6);
  for (int t = 1; t <= 41; ++t)
    for (const auto& b : sim.step(t)) {
      store.add(b);
      live.on_bar(b);
      closes[std::size_t(std::stoi(b.symbol.substr(3)))].push_back(b.close);
    }
  // Rows complete when the next row starts: 40 complete rows, a snapshot after rows 4, 8, ..., 40. The
  // snapshot after row 40 is taken when row 41's first bar arrives: the store already holds that bar for
  // one symbol only, so the common window ends at row 40.
  const auto snaps = out.all<bus::CorrelationSnapshot>();
  ASSERT_EQ(snaps.size(), 10u);
  const auto& s = snaps.back();
  EXPECT_EQ(s.window, 20u);
  EXPECT_EQ(s.ts_ns, 40);
  ASSERT_EQ(s.symbols.size(), 6u);
  auto ret = [&](std::size_t j, std::size_t t) { return std::log(closes[j][t] / closes[j][t - 1]); };  // t: 0-based row
  for (std::size_t a = 0; a < 6; ++a)
    for (std::size_t b = 0; b < 6; ++b) {
      double ma = 0, mb = 0;
      for (std::size_t t = 20; t < 40; ++t) ma += ret(a, t), mb += ret(b, t);
      ma /= 20, mb /= 20;
      double sab = 0, saa = 0, sbb = 0;
      for (std::size_t t = 20; t < 40; ++t) {
        sab += (ret(a, t) - ma) * (ret(b, t) - mb);
        saa += (ret(a, t) - ma) * (ret(a, t) - ma);
        sbb += (ret(b, t) - mb) * (ret(b, t) - mb);
      }
      EXPECT_NEAR(s.matrix[a * 6 + b], sab / std::sqrt(saa * sbb), 1e-12) << a << "," << b;
    }
  EXPECT_EQ(out.priority.back(), bus::Priority::low);
}

TEST(LiveRisk, AlertsOnRisingIntoTheBandsOnceAndReportsStatusPerRow) {
  data::BarStore store;
  Recorder out;
  risk::Account acct;
  acct.name = "A1";
  acct.positions = {{"X", 1000}};
  acct.cash = -80000;
  risk::LiveRisk live({.var_every_rows = 1000, .demo_positions = 0}, {acct}, store, out);
  // Utilisation = 0.075·|q·p| / (cash + q·p): p=100 → 7500/20000 = 0.375 (LOW); p=92 → 6900/12000 =
  // 0.575 (MEDIUM); p=90 → 6750/10000 = 0.675; p=88 → 6600/8000 = 0.825 (HIGH); p=87.5 → 0.875 (HIGH,
  // no new alert); p=87 → 6525/7000 = 0.932 (CRITICAL); p=95 → 0.475 (LOW); p=88 → HIGH again.
  const double prices[] = {100, 92, 90, 88, 87.5, 87, 95, 88, 88};
  std::int64_t ts = 1;
  for (double p : prices) live.on_bar(bar("X", ts++, p));
  const auto alerts = out.all<bus::RiskAlert>();
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].risk_level, "HIGH");
  EXPECT_NEAR(alerts[0].margin_utilization, 0.825, 1e-12);
  EXPECT_EQ(alerts[1].risk_level, "CRITICAL");
  EXPECT_EQ(alerts[2].risk_level, "HIGH");
  const auto statuses = out.all<bus::RiskStatus>();
  ASSERT_EQ(statuses.size(), 8u) << "one per completed row";
  EXPECT_EQ(statuses[0].account, "A1");
  EXPECT_EQ(statuses[0].risk_level, "LOW");
  EXPECT_NEAR(statuses[0].equity, 20000, 1e-9);
  EXPECT_EQ(statuses[5].risk_level, "CRITICAL");
  EXPECT_EQ(live.stats().top_ups, 0u) << "a configured account gets no deposits";
}

TEST(LiveRisk, TheDemoAccountOpensAtItsUtilisationAndMeetsMarginCalls) {
  data::MarketSimulator sim({.instruments = 12, .sectors = 3});
  data::BarStore store;
  Recorder out;
  risk::LiveRisk live({.var_every_rows = 5, .var_window = 50, .demo_positions = 10, .demo_utilization = 0.65}, {}, store, out);
  for (int t = 1; t <= 400; ++t)
    for (const auto& b : sim.step(t)) {
      store.add(b);
      live.on_bar(b);
    }
  const auto statuses = out.all<bus::RiskStatus>();
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses[0].account, "DEMO");
  EXPECT_NEAR(statuses[0].margin_utilization, 0.65, 1e-9);
  for (const auto& s : statuses) EXPECT_GT(s.equity, 0) << "a margin call is met before equity runs out";
  EXPECT_GT(statuses.back().var, 0) << "VaR from the store once 50 returns exist";
  EXPECT_LT(statuses.back().var, statuses.back().es + 1e-9) << "ES is at least VaR";
  const auto s = live.stats();
  EXPECT_EQ(s.accounts, 1u);
  EXPECT_GT(s.alerts, 0u) << "400 bars of a 9x levered book cross the HIGH band";
}

TEST(LiveDrift, PublishesAtTheHighBandThenStartsAgainFromTheTargets) {
  Recorder out;
  portfolio::LiveBook book{.assets = {"A", "B"}, .shares = {50, 50}, .target_weights = {0.5, 0.5}, .cash = 0, .cost_bps = 0};
  portfolio::LiveDrift live({.demo_assets = 0}, book, out);
  // A doubles: weights 2/3, 1/3, drift 1/6 (HIGH). Then unchanged prices: no drift, nothing published.
  const double pa[] = {100, 100, 200, 200, 200}, pb[] = {100, 100, 100, 100, 100};
  for (int t = 0; t < 5; ++t) {
    live.on_bar(bar("A", t + 1, pa[t]));
    live.on_bar(bar("B", t + 1, pb[t]));
  }
  const auto updates = out.all<bus::PortfolioUpdate>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].urgency, "HIGH");
  EXPECT_NEAR(updates[0].max_drift, 1.0 / 6.0, 1e-12);
  EXPECT_NEAR(updates[0].portfolio_value, 15000, 1e-9);
  EXPECT_LT(live.stats().max_drift, 0.01) << "after the trades the book sits on its targets, within a whole share";
}

TEST(LiveRisk, ConfiguredAccountsAreValidatedNamingTheField) {
  data::BarStore store;
  Recorder out;
  const auto field_of = [&](std::vector<risk::Account> accounts) {
    try {
      risk::LiveRisk live({}, std::move(accounts), store, out);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  risk::Account good;
  good.name = "a", good.positions = {{"X", 10}}, good.cash = 100;
  risk::Account b = good;
  b.name = "b", b.maintenance_ratio = -0.5;
  EXPECT_EQ(field_of({good}), "(accepted)");
  EXPECT_EQ(field_of({good, good}), "accounts[1].name");
  auto bad = good;
  bad.positions.clear();
  EXPECT_EQ(field_of({bad}), "accounts[0].positions");
  EXPECT_EQ(field_of({good, b}), "accounts[1].maintenance_ratio");
  bad = good;
  bad.default_margin_rate = -0.1;
  EXPECT_EQ(field_of({bad}), "accounts[0].default_margin_rate");
  bad = good;
  bad.positions["Y"] = NAN;
  EXPECT_EQ(field_of({bad}), "accounts[0].positions.Y");
}

TEST(LiveDrift, AConfiguredBookIsValidatedNamingTheField) {
  Recorder out;
  const auto field_of = [&](portfolio::LiveBook book) {
    try {
      portfolio::LiveDrift live({.demo_assets = 0}, std::move(book), out);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  const portfolio::LiveBook good{.assets = {"A", "B"}, .shares = {1, 2}, .target_weights = {0.5, 0.5}};
  EXPECT_EQ(field_of(good), "(accepted)");
  auto bad = good;
  bad.shares = {1};
  EXPECT_EQ(field_of(bad), "shares");
  bad = good;
  bad.target_weights = {0.5, 0.4};
  EXPECT_EQ(field_of(bad), "target_weights");
  bad = good;
  bad.cost_bps = -1;
  EXPECT_EQ(field_of(bad), "cost_bps");
  bad = good;
  bad.target_weights = {0.5};
  EXPECT_NE(field_of(bad), "(accepted)");
}

TEST(LiveForecast, RegimeProbabilitiesAndAGarchVolatility) {
  data::MarketSimulator sim({.instruments = 8, .sectors = 2});
  data::BarStore store;
  Recorder out;
  ml::LiveForecast live({.every_rows = 50, .window = 250}, store, out);
  for (int t = 1; t <= 300; ++t)
    for (const auto& b : sim.step(t)) {
      store.add(b);
      live.on_bar(b);
    }
  const auto f = out.all<bus::Forecast>();
  ASSERT_EQ(f.size(), 4u) << "after rows 100, 150, 200, 250 (row 50 has under 61 bars; row 300 never completes)";
  const auto& last = f.back();
  EXPECT_EQ(last.states, (std::vector<std::string>{"calm", "normal", "turbulent"}));
  EXPECT_NEAR(std::accumulate(last.probabilities.begin(), last.probabilities.end(), 0.0), 1.0, 1e-9);
  // Row 250's forecast runs when row 251's first bar arrives, before the other symbols have theirs: the
  // store's common window is then rows 1..250, 249 returns.
  EXPECT_EQ(last.observations, 249u);
  // The forecast is of the order of the index's realised volatility.
  const auto w = store.window(store.symbols(), 251);
  std::vector<double> idx;
  for (std::size_t t = 1; t < 251; ++t) {
    double s = 0;
    for (std::size_t j = 0; j < 8; ++j) s += std::log(w.close(t, j) / w.close(t - 1, j));
    idx.push_back(s / 8);
  }
  const double m = std::accumulate(idx.begin(), idx.end(), 0.0) / 250;
  double v = 0;
  for (double x : idx) v += (x - m) * (x - m);
  const double realised = std::sqrt(v / 249);
  EXPECT_GT(last.volatility, realised / 3);
  EXPECT_LT(last.volatility, realised * 3);
}

}  // namespace
}  // namespace sextant
