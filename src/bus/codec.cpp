#include "sextant/bus/codec.hpp"

#include <simdjson.h>

#include <cmath>

#include "sextant/core/error.hpp"
#include "sextant/core/overload.hpp"
#include "sextant/net/json.hpp"

namespace sextant::bus {
namespace {

// Reads the fields of one payload object by name; a key that `set` does not know is an error.
template <class Set>
void read_payload(std::string_view json, std::string_view what, Set&& set) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  auto doc = parser.iterate(padded);
  net::od::object obj;
  if (doc.get_object().get(obj)) fail(ErrorCode::invalid_argument, "payload", "a {} payload is a JSON object", what);
  for (auto kv : obj) {
    std::string_view k = kv.unescaped_key();
    if (!set(k, kv.value())) fail(ErrorCode::invalid_argument, "payload." + std::string(k), "unknown field '{}' in a {} payload", k, what);
  }
}

}  // namespace

MessageType message_type(const Message& m) {
  return std::visit(Overload{[](const RiskAlert&) { return MessageType::risk_alert; },
                             [](const PortfolioUpdate&) { return MessageType::portfolio_update; },
                             [](const MarketBar&) { return MessageType::market_data; },
                             [](const FeatureSnapshot&) { return MessageType::analytics_result; }},
                    m);
}

std::string topic_of(const Message& m) {
  return std::visit(Overload{[](const RiskAlert&) { return std::string(topics::risk_alerts); },
                             [](const PortfolioUpdate&) { return std::string(topics::portfolio_rebalance); },
                             [](const MarketBar& b) { return topics::marketdata_bars(b.symbol); },
                             [](const FeatureSnapshot& f) { return topics::features(f.symbol); }},
                    m);
}

std::string encode(const Message& m) {
  net::JsonWriter w(256);
  w.begin_object();
  std::visit(Overload{[&](const RiskAlert& a) {
                        w.field("kind", std::string_view(a.kind)).field("risk_level", std::string_view(a.risk_level));
                        w.field("margin_utilization", a.margin_utilization).field("equity", a.equity);
                        w.field("maintenance_margin", a.maintenance_margin).field("excess_margin", a.excess_margin);
                      },
                      [&](const PortfolioUpdate& u) {
                        w.field("kind", std::string_view(u.kind)).field("urgency", std::string_view(u.urgency));
                        w.field("max_drift", u.max_drift).field("portfolio_value", u.portfolio_value);
                        w.field("trades", u.trades).field("turnover", u.turnover).field("total_cost", u.total_cost);
                      },
                      [&](const MarketBar& b) {
                        w.field("symbol", std::string_view(b.symbol)).field("ts_ns", b.ts_ns);
                        w.field("open", b.open).field("high", b.high).field("low", b.low).field("close", b.close);
                        w.field("volume", b.volume);
                      },
                      [&](const FeatureSnapshot& f) {
                        w.field("symbol", std::string_view(f.symbol)).field("ts_ns", f.ts_ns).key("values").begin_object();
                        for (const auto& [k, v] : f.values) w.field(k, v);
                        w.end_object();
                      }},
             m);
  return w.end_object().take();
}

Message decode(MessageType t, std::string_view json) {
  using net::od::value;
  auto num = [](value v, std::string_view k) { return net::read_number(v, "payload." + std::string(k)); };
  auto str = [](value v, std::string_view k) { return net::read_string(v, "payload." + std::string(k)); };
  switch (t) {
    case MessageType::risk_alert: {
      RiskAlert a;
      read_payload(json, "risk_alert", [&](std::string_view k, value v) {
        if (k == "kind") a.kind = str(v, k);
        else if (k == "risk_level") a.risk_level = str(v, k);
        else if (k == "margin_utilization") a.margin_utilization = num(v, k);
        else if (k == "equity") a.equity = num(v, k);
        else if (k == "maintenance_margin") a.maintenance_margin = num(v, k);
        else if (k == "excess_margin") a.excess_margin = num(v, k);
        else return false;
        return true;
      });
      return a;
    }
    case MessageType::portfolio_update: {
      PortfolioUpdate u;
      read_payload(json, "portfolio_update", [&](std::string_view k, value v) {
        if (k == "kind") u.kind = str(v, k);
        else if (k == "urgency") u.urgency = str(v, k);
        else if (k == "max_drift") u.max_drift = num(v, k);
        else if (k == "portfolio_value") u.portfolio_value = num(v, k);
        else if (k == "trades") u.trades = std::uint64_t(net::read_int(v, "payload.trades", 0, INT64_MAX));
        else if (k == "turnover") u.turnover = num(v, k);
        else if (k == "total_cost") u.total_cost = num(v, k);
        else return false;
        return true;
      });
      return u;
    }
    case MessageType::market_data: {
      MarketBar b;
      read_payload(json, "market_data", [&](std::string_view k, value v) {
        if (k == "symbol") b.symbol = str(v, k);
        else if (k == "ts_ns") b.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
        else if (k == "open") b.open = num(v, k);
        else if (k == "high") b.high = num(v, k);
        else if (k == "low") b.low = num(v, k);
        else if (k == "close") b.close = num(v, k);
        else if (k == "volume") b.volume = num(v, k);
        else return false;
        return true;
      });
      return b;
    }
    case MessageType::analytics_result: {
      FeatureSnapshot f;
      read_payload(json, "analytics_result", [&](std::string_view k, value v) {
        if (k == "symbol") f.symbol = str(v, k);
        else if (k == "ts_ns") f.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
        else if (k == "values") {
          for (auto kv : net::read_object(v, "payload.values")) {
            const std::string name(std::string_view(kv.unescaped_key()));
            net::od::value x = kv.value();
            f.values.emplace_back(name, x.is_null() ? NAN : net::read_number(x, "payload.values." + name));
          }
        } else return false;
        return true;
      });
      return f;
    }
    default: break;
  }
  fail(ErrorCode::invalid_argument, "type", "'{}' messages have no payload type", message_type_name(t));
}

Envelope envelope(const Message& m, Priority p, std::string source) {
  Envelope e;
  e.type = message_type(m);
  e.topic = topic_of(m);
  e.source = std::move(source);
  e.priority = p;
  e.payload = encode(m);
  return e;
}

}  // namespace sextant::bus
