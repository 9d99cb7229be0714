// Rebalancing (lots, costs, cash buffer) and attribution (Brinson–Fachler, Carino, factors) against
// hand-computed examples.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "sextant/core/error.hpp"
#include "sextant/portfolio/attribution.hpp"
#include "sextant/portfolio/rebalance.hpp"

namespace sextant::portfolio {
namespace {

RebalanceInput three_assets() {
  RebalanceInput in;
  in.assets = {"A", "B", "C"};
  in.prices = {100, 50, 20};
  in.current_shares = {100, 0, 500};  // 10,000 + 0 + 10,000, no cash: V = 20,000
  in.target_weights = {0.5, 0.3, 0.2};
  in.lot_sizes = {1, 10, 100};
  in.cost_bps = 10, in.half_spread_bps = 5, in.fixed_cost = 1;
  return in;
}

TEST(Rebalance, LotsCostsAndTheCashFloor) {
  auto r = rebalance(three_assets());
  EXPECT_DOUBLE_EQ(r.portfolio_value, 20000);
  EXPECT_NEAR(r.max_drift, 0.3, 1e-15);
  EXPECT_EQ(kUrgencyNames.name(r.urgency), "CRITICAL");
  // Wanted: B +120 (12 lots), C -300 (3 lots). Costs 6,000·15bp + 1 = 10 each leave cash at -20 < 0,
  // so B is cut by one lot to 110: cost 5,500·15bp + 1 = 9.25, cash 6,000 - 5,500 - 19.25 = 480.75.
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_EQ(r.trades[0].asset, "B");
  EXPECT_EQ(kSideNames.name(r.trades[0].side), "buy");
  EXPECT_DOUBLE_EQ(r.trades[0].shares, 110);
  EXPECT_DOUBLE_EQ(r.trades[0].cost, 9.25);
  EXPECT_EQ(r.trades[1].asset, "C");
  EXPECT_EQ(kSideNames.name(r.trades[1].side), "sell");
  EXPECT_DOUBLE_EQ(r.trades[1].shares, -300);
  EXPECT_DOUBLE_EQ(r.trades[1].cost, 10);
  EXPECT_DOUBLE_EQ(r.total_cost, 19.25);
  EXPECT_DOUBLE_EQ(r.cash_after, 480.75);
  EXPECT_DOUBLE_EQ(r.turnover, 11500.0 / 20000.0);
  EXPECT_NEAR(r.weights_after[1], 5500 / 19980.75, 1e-15);
}

TEST(Rebalance, BandMinimumTradeBufferAndFullExit) {
  auto in = three_assets();
  in.no_trade_band = 0.31;  // every drift is inside the band
  EXPECT_TRUE(rebalance(in).trades.empty());
  in = three_assets();
  in.min_trade_value = 7000;  // both trades are 6,000 or less
  EXPECT_TRUE(rebalance(in).trades.empty());
  in = three_assets();
  in.cash_buffer = 0.05;  // keep 1,000: B is cut to 90 shares (cash 6,000 - 4,500 - 7.75 - 10)
  auto r = rebalance(in);
  EXPECT_DOUBLE_EQ(r.trades[0].shares, 90);
  EXPECT_GE(r.cash_after, 1000);
  in = three_assets();
  in.current_shares = {100, 0, 517};  // not a lot multiple
  in.target_weights = {0.5, 0.5, 0.0};
  in.cost_bps = in.half_spread_bps = in.fixed_cost = 0;
  r = rebalance(in);
  EXPECT_DOUBLE_EQ(r.trades.back().shares, -517);  // the whole holding leaves
  // Holdings as weights with a value.
  RebalanceInput w;
  w.prices = {10, 20};
  w.current_weights = {0.6, 0.3};
  w.target_weights = {0.5, 0.5};
  w.portfolio_value = 1000;
  r = rebalance(w);
  EXPECT_NEAR(r.cash_before, 100, 1e-12);
  EXPECT_EQ(kUrgencyNames.name(r.urgency), "CRITICAL");  // drifts 0.1 and -0.2
}

// docs/conventions.md's rule taken literally: desired trades in lots, then one lot at a time off the
// largest buy until cash covers the floor. rebalance() jumps most of the way and must land on the same
// trades.
std::vector<double> literal_trades(const RebalanceInput& in, int* cuts = nullptr) {
  const std::size_t n = in.prices.size();
  double V = in.cash;
  for (std::size_t i = 0; i < n; ++i) V += in.current_shares[i] * in.prices[i];
  std::vector<double> t(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = in.current_shares[i], p = in.prices[i], lot = in.lot_sizes[i];
    double q = std::round((in.target_weights[i] * V - s * p) / p / lot) * lot;
    if (in.target_weights[i] == 0 && s > 0) q = -s;
    if (q < -s) q = -s;
    if (std::abs(q * p) < in.min_trade_value || q == 0) continue;
    t[i] = q;
  }
  auto cash = [&] {
    double c = in.cash;
    for (std::size_t i = 0; i < n; ++i)
      if (t[i] != 0) c -= t[i] * in.prices[i] + std::abs(t[i] * in.prices[i]) * (in.cost_bps + in.half_spread_bps) / 1e4 + in.fixed_cost;
    return c;
  };
  while (cash() < in.cash_buffer * V - 1e-9 * V) {
    std::size_t big = n;
    for (std::size_t i = 0; i < n; ++i)
      if (t[i] > 0 && (big == n || t[i] * in.prices[i] > t[big] * in.prices[big])) big = i;
    if (big == n) break;
    if (cuts) ++*cuts;
    t[big] = std::max(0.0, t[big] - in.lot_sizes[big]);
    if (t[big] * in.prices[big] < in.min_trade_value) t[big] = 0;
  }
  return t;
}

TEST(Rebalance, CuttingBuysMatchesTheLiteralRule) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  const double lot_choices[] = {0.5, 1, 10, 100};
  int cut_cases = 0;
  for (int trial = 0; trial < 400; ++trial) {
    RebalanceInput in;
    const std::size_t n = 2 + rng() % 7;
    double wsum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      in.prices.push_back(std::round((1 + 199 * u(rng)) * 100) / 100);
      in.current_shares.push_back(std::floor(2000 * u(rng)));
      in.lot_sizes.push_back(lot_choices[rng() % 4]);
      in.target_weights.push_back(u(rng) < 0.2 ? 0.0 : u(rng));
      wsum += in.target_weights.back();
    }
    if (wsum == 0) in.target_weights[0] = wsum = 1;  // targets are a whole portfolio (they sum to 1)
    for (double& w : in.target_weights) w /= wsum;
    in.cash = std::floor(1000 * u(rng));
    in.cash_buffer = 0.3 * u(rng);
    in.cost_bps = 20 * u(rng), in.half_spread_bps = 10 * u(rng), in.fixed_cost = 5 * u(rng);
    in.min_trade_value = u(rng) < 0.5 ? 0.0 : 500 * u(rng);
    int cuts = 0;
    const std::vector<double> want = literal_trades(in, &cuts);
    cut_cases += cuts > 1;
    const RebalanceResult r = rebalance(in);
    std::vector<double> got(n, 0.0);
    for (const Trade& t : r.trades) got[std::stoul(t.asset)] = t.shares;
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(got[i], want[i]) << "trial " << trial << " asset " << i;
  }
  EXPECT_GT(cut_cases, 100);  // most trials need several cuts
}

TEST(Rebalance, HugeValuesFinishAndKeepTheCashFloor) {
  // A price of 2^63 once took the literal rule ~10^17 cuts (and a cut of 100 shares off 9e18 changes
  // no double): the request hung its I/O thread. Now values past 2^52 lots are refused, and a large
  // but exact book finishes in a few steps.
  RebalanceInput in = three_assets();
  in.prices = {9223372036854775808.0, 50, 20};
  try {
    rebalance(in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "lot_sizes[1]");
  }
  in = three_assets();
  in.target_weights[2] = 1e308;  // a weight that large once ended in "did not converge"
  try {
    rebalance(in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "target_weights[2]");
  }
  auto final_shares = [](const RebalanceResult& r) {
    std::vector<double> got(3, 0.0);
    for (const Trade& t : r.trades) got[std::size_t(t.asset[0] - 'A')] = t.shares;
    return got;
  };
  in = three_assets();
  in.prices = {1e6, 50, 20};  // V = 1e8: the literal rule cuts ~10^4 lots of B, still quick to replay
  in.cash_buffer = 0.05;
  EXPECT_EQ(final_shares(rebalance(in)), literal_trades(in));
  in.prices = {1e12, 50, 20};  // V = 1e14: ~10^10 cuts, which only the jump makes feasible
  auto r = rebalance(in);
  EXPECT_GE(r.cash_after, 0.05 * r.portfolio_value - 1e-9 * r.portfolio_value);
  const std::vector<double> got = final_shares(r);
  EXPECT_GT(got[1], 0);
  EXPECT_EQ(std::fmod(got[1], 10.0), 0.0);
  EXPECT_EQ(std::fmod(got[2], 100.0), 0.0);
}

TEST(Rebalance, BadInputNamesTheField) {
  auto in = three_assets();
  in.prices[1] = 0;
  try {
    rebalance(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "prices[1]");
  }
  in = three_assets();
  in.lot_sizes = {1, 1};
  EXPECT_THROW(rebalance(in), Error);
}

// Two sectors of two assets; worked by hand in BrinsonFachlerHandExample.
BrinsonInput hand_period() {
  BrinsonInput in;
  in.sectors = {"s1", "s1", "s2", "s2"};
  in.portfolio_weights = {0.4, 0.2, 0.1, 0.3};
  in.benchmark_weights = {0.25, 0.25, 0.25, 0.25};
  in.portfolio_returns = {0.05, 0.02, -0.01, 0.03};
  in.benchmark_returns = {0.04, 0.01, 0.00, 0.02};
  return in;
}

TEST(Attribution, BrinsonFachlerHandExample) {
  BrinsonInput in = hand_period();
  auto r = brinson_fachler(in);
  EXPECT_NEAR(r.portfolio_return, 0.032, 1e-15);
  EXPECT_NEAR(r.benchmark_return, 0.0175, 1e-15);
  ASSERT_EQ(r.sectors.size(), 2u);
  EXPECT_NEAR(r.sectors[0].allocation, 0.00075, 1e-15);
  EXPECT_NEAR(r.sectors[0].selection, 0.0075, 1e-15);
  EXPECT_NEAR(r.sectors[0].interaction, 0.0015, 1e-15);
  EXPECT_NEAR(r.sectors[1].allocation, 0.00075, 1e-15);
  EXPECT_NEAR(r.sectors[1].selection, 0.005, 1e-15);
  EXPECT_NEAR(r.sectors[1].interaction, -0.001, 1e-15);
  EXPECT_NEAR(r.allocation + r.selection + r.interaction, r.active_return, 1e-15);
  EXPECT_NEAR(r.active_return, 0.0145, 1e-15);
  in.portfolio_weights[0] = 0.5;  // sums differ
  EXPECT_THROW(brinson_fachler(in), Error);
}

TEST(Attribution, CarinoLinkingAddsUpToTheCompoundedActiveReturn) {
  BrinsonInput p1 = hand_period();
  BrinsonInput p2 = p1;
  p2.portfolio_returns = {-0.03, 0.01, 0.02, -0.02};
  p2.benchmark_returns = {-0.02, 0.00, 0.03, -0.01};
  auto l = brinson_carino({p1, p2});
  const double R = (1 + 0.032) * (1 + l.periods[1].portfolio_return) - 1;
  const double B = (1 + 0.0175) * (1 + l.periods[1].benchmark_return) - 1;
  EXPECT_NEAR(l.portfolio_return, R, 1e-15);
  EXPECT_NEAR(l.active_return, R - B, 1e-15);
  EXPECT_NEAR(l.allocation + l.selection + l.interaction, R - B, 1e-15);
  // Period 1's allocation, linked by hand: k_1 / K.
  const double k1 = (std::log(1.032) - std::log(1.0175)) / (0.032 - 0.0175);
  const double K = (std::log1p(R) - std::log1p(B)) / (R - B);
  const double k2 = (std::log1p(l.periods[1].portfolio_return) - std::log1p(l.periods[1].benchmark_return)) /
                    (l.periods[1].portfolio_return - l.periods[1].benchmark_return);
  EXPECT_NEAR(l.sectors[0].allocation, (0.00075 * k1 + l.periods[1].sectors[0].allocation * k2) / K, 1e-15);
}

TEST(Attribution, FactorContributions) {
  auto f = factor_attribution({1.1, -0.3}, {0.02, 0.01}, 0.025);
  EXPECT_NEAR(f.contributions[0], 0.022, 1e-15);
  EXPECT_NEAR(f.contributions[1], -0.003, 1e-15);
  EXPECT_NEAR(f.factor_return, 0.019, 1e-15);
  EXPECT_NEAR(f.specific_return, 0.006, 1e-15);
  Matrix x(2, 2);
  x(0, 0) = 1.0, x(0, 1) = 0.2, x(1, 0) = 1.2, x(1, 1) = -0.8;
  auto e = portfolio_exposures(x, {0.5, 0.5});
  EXPECT_NEAR(e[0], 1.1, 1e-15);
  EXPECT_NEAR(e[1], -0.3, 1e-15);
  EXPECT_THROW(factor_attribution({1.0}, {0.02, 0.01}, 0.0), Error);
}

}  // namespace
}  // namespace sextant::portfolio
