#include <gtest/gtest.h>

#include <cmath>

#include "sextant/core/error.hpp"
#include "sextant/risk/pretrade.hpp"

namespace sextant::risk {
namespace {

Matrix cov2() {
  Matrix c(2, 2);
  double v[] = {0.0004, 0.0001, 0.0001, 0.0009};
  std::copy(v, v + 4, c.data());
  return c;
}

PretradeChecker checker(PretradeLimits l) { return PretradeChecker(cov2(), {100, -50}, {10, 20}, l); }

TEST(Pretrade, AcceptsAWithinLimitOrder) {
  auto c = checker({});
  auto d = c.check({0, 10, 10}, 0);
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(kPretradeReasonNames.name(d.reason), "OK");
}

TEST(Pretrade, EachLimitRejectsWithItsCode) {
  PretradeLimits l;
  l.max_order_notional = 500;
  EXPECT_EQ(kPretradeReasonNames.name(checker(l).check({0, 60, 10}, 0).reason), "MAX_ORDER_NOTIONAL");  // 600
  l = {};
  l.max_position = 120;
  EXPECT_EQ(kPretradeReasonNames.name(checker(l).check({0, 30, 10}, 0).reason), "MAX_POSITION");        // 130
  EXPECT_TRUE(checker(l).check({0, 20, 10}, 0).accepted);
  l = {};
  l.max_gross_exposure = 2100;  // now 1000 + 1000
  EXPECT_EQ(kPretradeReasonNames.name(checker(l).check({0, 20, 10}, 0).reason), "MAX_GROSS_EXPOSURE");
  EXPECT_TRUE(checker(l).check({1, 10, 20}, 0).accepted) << "buying back the short lowers gross";
  l = {};
  l.max_net_exposure = 50;  // now 0
  EXPECT_EQ(kPretradeReasonNames.name(checker(l).check({0, 10, 10}, 0).reason), "MAX_NET_EXPOSURE");
  l = {};
  auto base = checker(l);
  l.max_var = base.var() * 1.01;
  EXPECT_EQ(kPretradeReasonNames.name(checker(l).check({0, 100, 10}, 0).reason), "MAX_VAR");
}

TEST(Pretrade, VarAfterEqualsAFullRecomputation) {
  auto c = checker({});
  auto d = c.check({1, 30, 20}, 0);
  // After: exposures (1000, -400); VaR = z·sqrt(eᵀΣe).
  const double q = 1000 * 1000 * 0.0004 + 2 * 1000 * -400 * 0.0001 + 400 * 400 * 0.0009;
  EXPECT_NEAR(d.var_after, 2.3263478740408408 * std::sqrt(q), 1e-9);
  c.apply_fill(1, 30, 20);
  EXPECT_NEAR(c.var(), d.var_after, 1e-9) << "the fill updates Σe incrementally";
}

TEST(Pretrade, TradingStates) {
  auto c = checker({});
  c.set_state(TradingState::halted);
  EXPECT_EQ(kPretradeReasonNames.name(c.check({0, 1, 10}, 0).reason), "TRADING_HALTED");
  Order cancel{0, 1, 10, true};
  EXPECT_TRUE(c.check(cancel, 0).accepted);
  c.set_state(TradingState::reducing);
  EXPECT_EQ(kPretradeReasonNames.name(c.check({0, 1, 10}, 0).reason), "REDUCE_ONLY");
  EXPECT_TRUE(c.check({0, -40, 10}, 0).accepted);
  EXPECT_EQ(kPretradeReasonNames.name(c.check({0, -150, 10}, 0).reason), "REDUCE_ONLY") << "flipping through zero is not reducing";
  EXPECT_TRUE(c.check({1, 20, 20}, 0).accepted) << "buying back a short reduces it";
  c.set_state(TradingState::active);
  EXPECT_TRUE(c.check({0, 1, 10}, 0).accepted);
}

TEST(Pretrade, OrderRateLimitIsASlidingSecond) {
  PretradeLimits l;
  l.max_orders_per_second = 3;
  auto c = checker(l);
  EXPECT_TRUE(c.check({0, 1, 10}, 0).accepted);
  EXPECT_TRUE(c.check({0, 1, 10}, 100'000'000).accepted);
  EXPECT_TRUE(c.check({0, 1, 10}, 200'000'000).accepted);
  EXPECT_EQ(kPretradeReasonNames.name(c.check({0, 1, 10}, 300'000'000).reason), "ORDER_RATE");
  EXPECT_TRUE(c.check({0, 1, 10}, 1'000'000'001).accepted) << "the first order left the window";
  EXPECT_EQ(kPretradeReasonNames.name(c.check({5, 1, 10}, 0).reason), "INVALID_ORDER");
  EXPECT_THROW(parse_trading_state("OPEN"), Error);
}

// The service's per-account windows, on an injected clock: accounts are independent, and the window
// slides with the clock, not with the requests.
TEST(Pretrade, AccountRateWindowsFollowTheInjectedClock) {
  ManualClock clock;
  OrderRateWindows windows(clock);
  EXPECT_TRUE(windows.admit("a", 2));
  clock.advance(400'000'000);
  EXPECT_TRUE(windows.admit("a", 2));
  EXPECT_FALSE(windows.admit("a", 2)) << "two in the last second";
  EXPECT_TRUE(windows.admit("b", 2)) << "another account has its own window";
  clock.advance(600'000'000);  // the first order is now exactly one window old
  EXPECT_TRUE(windows.admit("a", 2));
  EXPECT_FALSE(windows.admit("a", 2));
}

// check_order: symbols to positions, Σ from the request, the account's window.
TEST(Pretrade, CheckOrderResolvesSymbolsAndCountsTheAccountsOrders) {
  ManualClock clock;
  OrderRateWindows windows(clock);
  PretradeRequest r;
  r.symbols = {"A", "B"};
  r.positions = {{"A", 100}};
  r.prices = {{"A", 10}, {"B", 20}};
  r.covariance = Matrix(2, 2);
  (*r.covariance)(0, 0) = 0.0004, (*r.covariance)(1, 1) = 0.0009;
  r.instrument = "B", r.side = Side::sell, r.quantity = 5, r.price = 20;
  r.limits.max_orders_per_second = 1;
  auto a = check_order(r, windows);
  EXPECT_TRUE(a.decision.accepted);
  EXPECT_NEAR(a.var_before, 2.326347874040841 * 0.02 * 1000, 1e-9);  // z·σ·|e| of A alone
  EXPECT_EQ(check_order(r, windows).decision.reason, PretradeReason::order_rate);
  r.type = OrderType::cancel;
  EXPECT_TRUE(check_order(r, windows).decision.accepted) << "cancels are never rate-limited";
  r.instrument = "C";
  try {
    check_order(r, windows);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "order.instrument");
  }
}

}  // namespace
}  // namespace sextant::risk
