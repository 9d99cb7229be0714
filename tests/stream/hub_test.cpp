// The stream hub without a network: connections are bare WsConnection queues.
#include <gtest/gtest.h>

#include "sextant/bus/codec.hpp"
#include "sextant/stream/hub.hpp"

namespace sextant::stream {
namespace {

struct Client {
  std::shared_ptr<net::WsConnection> conn;
  net::WsHandlers h;
  void say(std::string_view text) { h.on_message(text); }
  std::vector<std::string> take() {
    std::vector<std::shared_ptr<const std::string>> out;
    conn->take(out, 1000);
    std::vector<std::string> s;
    for (const auto& m : out) s.push_back(*m);
    return s;
  }
};

Client attach(Hub& hub, std::size_t conflate_after = 64) {
  Client c;
  c.conn = std::make_shared<net::WsConnection>(net::WsQueueLimits{.conflate_after = conflate_after});
  c.h = hub.attach(c.conn);
  return c;
}

bus::Envelope bar(const std::string& sym, double close) {
  auto e = bus::envelope(bus::MarketBar{.symbol = sym, .ts_ns = 7, .open = close, .high = close, .low = close, .close = close, .volume = 1},
                         bus::Priority::normal, "test");
  e.ts_ns = 99;
  return e;
}

TEST(Hub, DeliversByPatternWithPerTopicSequenceNumbersOnce) {
  auto hub = std::make_shared<Hub>();
  Client a = attach(*hub), b = attach(*hub);
  a.say(R"({"op":"subscribe","topics":["marketdata.bars.*","marketdata.bars.AAA"]})");
  b.say(R"({"op":"subscribe","topics":["marketdata.bars.BBB"]})");
  EXPECT_EQ(a.take(), (std::vector<std::string>{R"({"type":"subscribed","topics":["marketdata.bars.*","marketdata.bars.AAA"]})"}));
  b.take();
  hub->publish(bar("AAA", 1));
  hub->publish(bar("BBB", 2));
  hub->publish(bar("AAA", 3));
  const auto got = a.take();
  ASSERT_EQ(got.size(), 3u) << "two matching patterns deliver once";
  EXPECT_EQ(got[0], R"({"type":"market_data","topic":"marketdata.bars.AAA","seq":1,"ts_ns":99,"payload":)" +
                        bus::encode(bus::MarketBar{.symbol = "AAA", .ts_ns = 7, .open = 1, .high = 1, .low = 1, .close = 1, .volume = 1}) + "}");
  EXPECT_NE(got[1].find(R"("topic":"marketdata.bars.BBB","seq":1,)"), std::string::npos) << got[1];
  EXPECT_NE(got[2].find(R"("topic":"marketdata.bars.AAA","seq":2,)"), std::string::npos) << got[2];
  const auto bgot = b.take();
  ASSERT_EQ(bgot.size(), 1u);
  EXPECT_NE(bgot[0].find(R"("seq":1,)"), std::string::npos) << "seq counts per topic, the same for every client";
  const auto s = hub->stats();
  EXPECT_EQ(s.messages, 3u);
  EXPECT_EQ(s.deliveries, 4u);
}

TEST(Hub, MarketDataConflatesAlertsNever) {
  auto hub = std::make_shared<Hub>();
  Client a = attach(*hub, 2);
  a.say(R"({"op":"subscribe","topics":["*"]})");
  a.take();
  for (int i = 0; i < 5; ++i) hub->publish(bar("AAA", i));
  for (int i = 0; i < 3; ++i)
    hub->publish(bus::envelope(bus::RiskAlert{.kind = "margin", .risk_level = "HIGH"}, bus::Priority::high, "risk"));
  const auto got = a.take();
  // conflate_after 2: bars 1 and 2 queue, 3..5 replace bar 2's slot; the three alerts all stay.
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got[0].find(R"("seq":1,)"), std::string::npos);
  EXPECT_NE(got[1].find(R"("seq":5,)"), std::string::npos) << "the latest bar, and its seq shows the gap: " << got[1];
  for (int i = 2; i < 5; ++i) EXPECT_NE(got[i].find(R"("type":"risk_alert")"), std::string::npos);
  EXPECT_EQ(hub->stats().conflated, 3u);
}

TEST(Hub, UnsubscribeCloseAndErrors) {
  auto hub = std::make_shared<Hub>(HubOptions{.max_patterns_per_client = 2});
  Client a = attach(*hub);
  a.say(R"({"op":"subscribe","topics":["a.b","c.*"]})");
  a.say(R"({"op":"subscribe","topics":["d"]})");
  a.say(R"({"op":"unsubscribe","topics":["c.*","never.held"]})");
  a.say(R"({"op":"ping"})");
  a.say(R"([1,2])");
  const auto got = a.take();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got[1].find(R"("field":"topics")"), std::string::npos) << got[1];
  EXPECT_NE(got[1].find("at most 2 patterns"), std::string::npos) << got[1];
  EXPECT_EQ(got[2], R"({"type":"unsubscribed","topics":["a.b"]})");
  EXPECT_TRUE(got[3].starts_with(R"({"type":"pong")"));
  EXPECT_TRUE(got[4].starts_with(R"({"type":"error")"));
  hub->publish(bus::envelope(bus::Heartbeat{.process = "x"}, bus::Priority::low, "t"));  // system.status: not held
  EXPECT_TRUE(a.take().empty());
  EXPECT_EQ(hub->stats().clients, 1u);
  a.h.on_close(net::WsEnd::stalled);
  EXPECT_EQ(hub->stats().clients, 0u);
  EXPECT_EQ(hub->stats().closed_stalled, 1u);
  EXPECT_EQ(hub->stats().client_errors, 2u);
}

TEST(Hub, PatternsAreCheckedNamingTheirIndex) {
  EXPECT_NO_THROW(check_pattern("*", "t"));
  EXPECT_NO_THROW(check_pattern("marketdata.bars.*", "t"));
  EXPECT_NO_THROW(check_pattern("risk.alerts", "t"));
  for (const char* bad : {"", ".*", "a..b", "a.*.b", "**", "a.", "*.a"}) {
    try {
      check_pattern(bad, "topics[3]");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.field(), "topics[3]") << bad;
    }
  }
}

}  // namespace
}  // namespace sextant::stream
