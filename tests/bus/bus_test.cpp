// The in-process bus (asynchronous, bounded per-subscriber queues), the payload codec, and the engines'
// publications through their registered routes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "sextant/app/serve.hpp"
#include "sextant/bus/bus.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/route_table.hpp"

namespace sextant::bus {
namespace {

TEST(Bus, TopicPatterns) {
  EXPECT_TRUE(topic_matches("risk.alerts", "risk.alerts"));
  EXPECT_FALSE(topic_matches("risk.alerts", "risk.alertsX"));
  EXPECT_TRUE(topic_matches("marketdata.bars.*", "marketdata.bars.AAPL"));
  EXPECT_FALSE(topic_matches("marketdata.bars.*", "marketdata.bars"));
  EXPECT_FALSE(topic_matches("marketdata.bars.*", "marketdata.quotes.AAPL"));
  EXPECT_TRUE(topic_matches("*", "anything.at.all"));
  EXPECT_TRUE(topic_matches(patterns::all_bars, topics::marketdata_bars("AAPL")));
  EXPECT_TRUE(is_topic(topics::risk_alerts));
  EXPECT_FALSE(is_topic("marketdata.bars.*"));
  EXPECT_FALSE(is_topic("a..b"));
  EXPECT_FALSE(is_topic(""));
}

TEST(Bus, DeliversToMatchingSubscribersAndSurvivesBadHandlers) {
  InProcessBus bus;
  std::mutex mu;
  std::vector<Envelope> got;
  auto id = bus.subscribe("risk.*", [&](const Envelope& e) {
    std::lock_guard lock(mu);
    got.push_back(e);
  });
  auto bad = bus.subscribe("risk.alerts", [](const Envelope&) { throw std::runtime_error("bad subscriber"); });
  EXPECT_EQ(bus.publish({.type = MessageType::risk_alert, .topic = "risk.alerts", .source = "risk", .payload = "{}"}), 2u);
  EXPECT_EQ(bus.publish({.type = MessageType::heartbeat, .topic = "system.status", .source = "app"}), 0u);
  bus.drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "risk-1");
  EXPECT_GT(got[0].ts_ns, 0);
  EXPECT_EQ(message_type_name(got[0].type), "risk_alert");
  EXPECT_EQ(bus.handler_errors(), 1u);
  EXPECT_EQ(bus.stats(bad).handler_errors, 1u);
  EXPECT_EQ(bus.stats(id).delivered, 1u);
  bus.unsubscribe(id);
  bus.publish({.type = MessageType::risk_alert, .topic = "risk.alerts", .source = "risk"});
  bus.drain();
  EXPECT_EQ(got.size(), 1u);
}

// A subscription that unsubscribes from its own handler is freed only once its thread has left it.
TEST(Bus, ASubscriberMayUnsubscribeFromItsOwnHandler) {
  InProcessBus bus;
  std::atomic<int> calls{0};
  std::uint64_t id = 0;
  std::promise<void> done;
  id = bus.subscribe("system.status", [&](const Envelope&) {
    if (calls++ == 0) {
      bus.unsubscribe(id);
      done.set_value();
    }
  });
  bus.publish({.topic = "system.status", .source = "app"});
  done.get_future().wait();
  EXPECT_EQ(bus.publish({.topic = "system.status", .source = "app"}), 0u) << "gone after unsubscribing";
  EXPECT_EQ(calls.load(), 1);
}

TEST(Bus, PublishingToAPatternIsAnError) {
  InProcessBus bus;
  try {
    bus.publish({.topic = "marketdata.bars.*"});
    FAIL() << "a pattern was published to";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "topic");
  }
}

// A subscriber that blocks never blocks the publisher: its queue fills, the oldest messages are dropped
// and counted, and a fast subscriber beside it still gets everything.
TEST(Bus, ASlowSubscriberDropsItsOldestAndNeverBlocksThePublisher) {
  InProcessBus bus;
  std::atomic<bool> release{false};
  std::atomic<int> slow_seen{0}, fast_seen{0};
  auto slow = bus.subscribe(
      "marketdata.bars.*",
      [&](const Envelope&) {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++slow_seen;
      },
      8);
  auto fast = bus.subscribe("marketdata.bars.*", [&](const Envelope&) { ++fast_seen; });
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) bus.publish(envelope(MarketBar{.symbol = "AAPL", .close = double(i)}, Priority::low, "test"));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 5000.0) << "publish waited on the blocked subscriber";
  release = true;
  bus.drain();
  EXPECT_EQ(fast_seen.load(), 1000);
  const auto s = bus.stats(slow);
  EXPECT_EQ(s.delivered + s.dropped, 1000u);
  EXPECT_GE(s.dropped, 1000u - 9u) << "at most the queue (8) and the one in hand are delivered";
  EXPECT_EQ(bus.stats(fast).dropped, 0u);
  EXPECT_EQ(bus.dropped(), s.dropped);
}

// A subscription's minimum priority filters what it is sent, on either delivery path.
TEST(Bus, ASubscriptionTakesOnlyMessagesAtItsMinimumPriority) {
  InProcessBus bus;
  std::atomic<int> alerts{0}, all{0};
  bus.subscribe("risk.*", [&](const Envelope&) { ++alerts; }, kDefaultQueueCapacity, Priority::high);
  bus.subscribe("risk.*", [&](const Envelope&) { ++all; });
  EXPECT_EQ(bus.publish({.topic = "risk.status", .source = "risk", .priority = Priority::normal}), 1u);
  EXPECT_EQ(bus.publish({.topic = "risk.alerts", .source = "risk", .priority = Priority::high}), 2u);
  EXPECT_EQ(bus.deliver_now({.topic = "risk.status", .source = "risk", .priority = Priority::low}), 1u);
  bus.drain();
  EXPECT_EQ(alerts.load(), 1);
  EXPECT_EQ(all.load(), 3);
}

// deliver_now runs the handlers on the caller's thread, never at the same time as the subscription's
// own delivery thread, and a handler run that way may unsubscribe itself.
TEST(Bus, DeliverNowRunsHandlersInlineAndNeverBesideTheirDeliveryThread) {
  InProcessBus bus;
  std::atomic<int> inside{0}, overlaps{0}, calls{0}, inline_calls{0};
  const auto caller = std::this_thread::get_id();
  bus.subscribe("marketdata.bars.*", [&](const Envelope&) {
    if (inside.fetch_add(1) != 0) ++overlaps;
    if (std::this_thread::get_id() == caller) ++inline_calls;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    ++calls;
    inside.fetch_sub(1);
  });
  std::thread publisher([&] {
    for (int i = 0; i < 200; ++i) bus.publish({.topic = "marketdata.bars.AAPL", .source = "test"});
  });
  for (int i = 0; i < 200; ++i) EXPECT_EQ(bus.deliver_now({.topic = "marketdata.bars.MSFT", .source = "test"}), 1u);
  publisher.join();
  bus.drain();
  EXPECT_EQ(overlaps.load(), 0) << "a handler ran beside itself";
  EXPECT_EQ(inline_calls.load(), 200);
  EXPECT_EQ(calls.load(), 400);

  std::uint64_t id = 0;
  std::atomic<int> self{0};
  id = bus.subscribe("system.status", [&](const Envelope&) {
    ++self;
    bus.unsubscribe(id);
  });
  bus.publish({.topic = "system.status", .source = "app"});  // queued for its thread, which may be waiting
  EXPECT_LE(bus.deliver_now({.topic = "system.status", .source = "app"}), 1u);
  bus.drain();
  EXPECT_EQ(bus.deliver_now({.topic = "system.status", .source = "app"}), 0u) << "gone after unsubscribing";
  EXPECT_EQ(self.load(), 1);
}

TEST(Bus, CodecRoundTripsEveryPayload) {
  const Message messages[] = {
      RiskAlert{.kind = "margin", .risk_level = "HIGH", .margin_utilization = 0.8, .equity = 750, .maintenance_margin = 600, .excess_margin = 150},
      PortfolioUpdate{.kind = "rebalance", .urgency = "CRITICAL", .max_drift = 0.2, .portfolio_value = 1000, .turnover = 0.4,
                      .total_cost = 1.5, .trades = 2},
      MarketBar{.symbol = "AAPL", .ts_ns = 1700000000000000000, .open = 1.5, .high = 2.25, .low = 1, .close = 0.1 + 0.2, .volume = 1e6}};
  for (const auto& m : messages) {
    const Envelope e = envelope(m, Priority::high, "test");
    const Message back = decode(e.type, e.payload);
    EXPECT_EQ(back.index(), m.index());
    EXPECT_EQ(encode(back), e.payload);
    EXPECT_EQ(e.topic, topic_of(m));
  }
  EXPECT_EQ(topic_of(messages[2]), "marketdata.bars.AAPL");
  // The payloads that share a message type are told apart by topic: decode(Envelope).
  const Message by_topic[] = {
      FeatureSnapshot{.symbol = "AAPL", .ts_ns = 5, .values = {{"alpha158.KMID", 0.25}}},
      CorrelationSnapshot{.ts_ns = 9, .window = 60, .symbols = {"A", "B"}, .matrix = {1, 0.5, 0.5, 1}},
      Heartbeat{.process = "sextant", .ts_ns = 3, .uptime_s = 1.5, .bars = 42},
      RiskStatus{.account = "DEMO", .ts_ns = 4, .risk_level = "HIGH", .equity = 1e6, .margin_utilization = 0.8,
                 .maintenance_margin = 8e5, .excess_margin = 2e5, .var = 1234.5, .es = 2345.5, .confidence = 0.99},
      Forecast{.ts_ns = 6, .states = {"calm", "normal", "turbulent"}, .probabilities = {0.7, 0.2, 0.1}, .volatility = 0.011, .observations = 250}};
  for (const auto& m : by_topic) {
    const Envelope e = envelope(m, Priority::low, "test");
    const Message back = decode(e);
    EXPECT_EQ(back.index(), m.index()) << e.topic;
    EXPECT_EQ(encode(back), e.payload);
  }
  EXPECT_EQ(topic_of(by_topic[1]), "analytics.results");
  EXPECT_EQ(topic_of(by_topic[3]), "risk.status");
  EXPECT_EQ(topic_of(by_topic[4]), "ml.forecasts");
  Envelope bad = envelope(by_topic[1], Priority::low, "test");
  bad.payload = R"({"kind":"correlation","symbols":["A","B"],"matrix":[1,0,1]})";
  try {
    decode(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "payload.matrix");
  }
  try {
    decode(MessageType::risk_alert, R"({"kind":"margin","bogus":1})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "payload.bogus");
  }
}

net::Response call(const net::RouteTable& t, const std::string& path, std::string body) {
  std::vector<std::pair<std::string, std::string>> params;
  auto m = t.match("POST", path, params);
  EXPECT_NE(m.route, nullptr);
  net::Request req;
  req.method = "POST", req.path = path;
  body.reserve(body.size() + 64);  // simdjson padding
  req.body = std::move(body);
  return m.route->handler(req);
}

// The routes of one engine of the table, registered on `bus`.
struct EngineRoutes {
  net::RouteTable table;
  Config config;
  service::SharedStores stores{std::make_shared<net::EngineRegistry>()};
  EngineRoutes(std::string_view engine, std::shared_ptr<Bus> bus) {
    for (const auto& row : app::engine_table())
      if (row.name == engine) {
        service::EngineContext ctx{row.name, table, std::move(bus), config, stores, steady_clock()};
        row.register_routes(ctx);
      }
  }
};

TEST(Bus, MarginAtHighRiskPublishesARiskAlert) {
  auto bus = std::make_shared<InProcessBus>();
  std::vector<Envelope> got;
  bus->subscribe(std::string(topics::risk_alerts), [&](const Envelope& e) { got.push_back(e); });
  EngineRoutes t("risk", bus);
  // The worked example is LOW: nothing is published.
  auto r = call(t.table, "/calculate-margin", R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"margin_rates":{"A":0.2}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("alert_published":false)"), std::string::npos) << r.body;
  bus->drain();
  EXPECT_TRUE(got.empty());
  // Equity 750 against maintenance 0.75·0.64·(1000 + 250) = 600: utilisation 0.8, HIGH.
  r = call(t.table, "/calculate-margin", R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"default_margin_rate":0.64})");
  EXPECT_NE(r.body.find(R"("risk_level":"HIGH")"), std::string::npos) << r.body;
  bus->drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, MessageType::risk_alert);
  EXPECT_EQ(got[0].priority, Priority::high);
  EXPECT_EQ(got[0].source, "risk");
  EXPECT_NE(got[0].payload.find(R"("risk_level":"HIGH")"), std::string::npos) << got[0].payload;
  const auto alert = std::get<RiskAlert>(decode(got[0].type, got[0].payload));
  EXPECT_DOUBLE_EQ(alert.margin_utilization, 0.8);
}

TEST(Bus, UrgentRebalancePublishesAPortfolioUpdate) {
  auto bus = std::make_shared<InProcessBus>();
  std::vector<Envelope> got;
  bus->subscribe(std::string(topics::portfolio_rebalance), [&](const Envelope& e) { got.push_back(e); });
  EngineRoutes t("portfolio", bus);
  auto r = call(t.table, "/rebalance", R"({"prices":[10,20],"current_weights":[0.5,0.5],"target_weights":[0.52,0.48],"portfolio_value":1000})");
  EXPECT_NE(r.body.find(R"("urgency":"LOW")"), std::string::npos) << r.body;
  bus->drain();
  EXPECT_TRUE(got.empty());
  r = call(t.table, "/rebalance", R"({"prices":[10,20],"current_weights":[0.7,0.3],"target_weights":[0.5,0.5],"portfolio_value":1000})");
  EXPECT_NE(r.body.find(R"("update_published":true)"), std::string::npos) << r.body;
  bus->drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, MessageType::portfolio_update);
  EXPECT_EQ(got[0].priority, Priority::high);
  EXPECT_NE(got[0].payload.find(R"("urgency":"CRITICAL")"), std::string::npos) << got[0].payload;
}

}  // namespace
}  // namespace sextant::bus
