// The in-process bus, and the engines' publications through their route handlers.
#include <gtest/gtest.h>

#include "sextant/bus/bus.hpp"
#include "sextant/net/route_table.hpp"
#include "sextant/portfolio/routes.hpp"
#include "sextant/risk/routes.hpp"

namespace sextant::bus {
namespace {

TEST(Bus, TopicPatterns) {
  EXPECT_TRUE(topic_matches("risk.alerts", "risk.alerts"));
  EXPECT_FALSE(topic_matches("risk.alerts", "risk.alertsX"));
  EXPECT_TRUE(topic_matches("marketdata.bars.*", "marketdata.bars.AAPL"));
  EXPECT_FALSE(topic_matches("marketdata.bars.*", "marketdata.bars"));
  EXPECT_FALSE(topic_matches("marketdata.bars.*", "marketdata.quotes.AAPL"));
  EXPECT_TRUE(topic_matches("*", "anything.at.all"));
}

TEST(Bus, DeliversToMatchingSubscribersAndSurvivesBadHandlers) {
  InProcessBus bus;
  std::vector<Envelope> got;
  auto id = bus.subscribe("risk.*", [&](const Envelope& e) { got.push_back(e); });
  bus.subscribe("risk.alerts", [](const Envelope&) { throw std::runtime_error("bad subscriber"); });
  EXPECT_EQ(bus.publish({.type = MessageType::risk_alert, .topic = "risk.alerts", .source = "risk", .payload = "{}"}), 1u);
  EXPECT_EQ(bus.publish({.type = MessageType::heartbeat, .topic = "system.status", .source = "app"}), 0u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "risk-1");
  EXPECT_GT(got[0].ts_ns, 0);
  EXPECT_EQ(message_type_name(got[0].type), "risk_alert");
  EXPECT_EQ(bus.handler_errors(), 1u);
  bus.unsubscribe(id);
  bus.publish({.type = MessageType::risk_alert, .topic = "risk.alerts", .source = "risk"});
  EXPECT_EQ(got.size(), 1u);
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

TEST(Bus, MarginAtHighRiskPublishesARiskAlert) {
  auto bus = std::make_shared<InProcessBus>();
  std::vector<Envelope> got;
  bus->subscribe("risk.alerts", [&](const Envelope& e) { got.push_back(e); });
  net::RouteTable t;
  risk::add_routes(t, bus);
  // The worked example is LOW: nothing is published.
  auto r = call(t, "/calculate-margin", R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"margin_rates":{"A":0.2}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("alert_published":false)"), std::string::npos) << r.body;
  EXPECT_TRUE(got.empty());
  // Equity 750 against maintenance 0.75·0.64·(1000 + 250) = 600: utilisation 0.8, HIGH.
  r = call(t, "/calculate-margin", R"({"positions":{"A":10,"B":-5},"prices":{"A":100,"B":50},"default_margin_rate":0.64})");
  EXPECT_NE(r.body.find(R"("risk_level":"HIGH")"), std::string::npos) << r.body;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, MessageType::risk_alert);
  EXPECT_EQ(got[0].priority, 3);
  EXPECT_NE(got[0].payload.find(R"("risk_level":"HIGH")"), std::string::npos) << got[0].payload;
}

TEST(Bus, UrgentRebalancePublishesAPortfolioUpdate) {
  auto bus = std::make_shared<InProcessBus>();
  std::vector<Envelope> got;
  bus->subscribe("portfolio.rebalance", [&](const Envelope& e) { got.push_back(e); });
  net::RouteTable t;
  portfolio::add_routes(t, bus);
  auto r = call(t, "/rebalance", R"({"prices":[10,20],"current_weights":[0.5,0.5],"target_weights":[0.52,0.48],"portfolio_value":1000})");
  EXPECT_NE(r.body.find(R"("urgency":"LOW")"), std::string::npos) << r.body;
  EXPECT_TRUE(got.empty());
  r = call(t, "/rebalance", R"({"prices":[10,20],"current_weights":[0.7,0.3],"target_weights":[0.5,0.5],"portfolio_value":1000})");
  EXPECT_NE(r.body.find(R"("update_published":true)"), std::string::npos) << r.body;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, MessageType::portfolio_update);
  EXPECT_NE(got[0].payload.find(R"("urgency":"CRITICAL")"), std::string::npos) << got[0].payload;
}

}  // namespace
}  // namespace sextant::bus
