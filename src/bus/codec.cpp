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

// A value's JSON text as it appeared (objects and arrays whole; scalars without trailing space).
std::string_view raw_json_of(net::od::value v) {
  std::string_view raw;
  net::od::json_type t;
  if (v.type().get(t)) fail(ErrorCode::invalid_argument, "payload", "the payload is not JSON");
  bool bad = false;
  if (t == net::od::json_type::object) {
    net::od::object o;
    bad = v.get_object().get(o) || o.raw_json().get(raw);
  } else if (t == net::od::json_type::array) {
    net::od::array a;
    bad = v.get_array().get(a) || a.raw_json().get(raw);
  } else {
    raw = v.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) raw.remove_suffix(1);
  }
  if (bad) fail(ErrorCode::invalid_argument, "payload", "the payload is not JSON");
  return raw;
}

}  // namespace

MessageType message_type(const Message& m) {
  return std::visit(Overload{[](const RiskAlert&) { return MessageType::risk_alert; },
                             [](const PortfolioUpdate&) { return MessageType::portfolio_update; },
                             [](const MarketBar&) { return MessageType::market_data; },
                             [](const FeatureSnapshot&) { return MessageType::analytics_result; },
                             [](const CorrelationSnapshot&) { return MessageType::analytics_result; },
                             [](const Heartbeat&) { return MessageType::heartbeat; },
                             [](const RiskStatus&) { return MessageType::analytics_result; },
                             [](const Forecast&) { return MessageType::analytics_result; }},
                    m);
}

std::string topic_of(const Message& m) {
  return std::visit(Overload{[](const RiskAlert&) { return std::string(topics::risk_alerts); },
                             [](const PortfolioUpdate&) { return std::string(topics::portfolio_rebalance); },
                             [](const MarketBar& b) { return topics::marketdata_bars(b.symbol); },
                             [](const FeatureSnapshot& f) { return topics::features(f.symbol); },
                             [](const CorrelationSnapshot&) { return std::string(topics::analytics_results); },
                             [](const Heartbeat&) { return std::string(topics::system_status); },
                             [](const RiskStatus&) { return std::string(topics::risk_status); },
                             [](const Forecast&) { return std::string(topics::ml_forecasts); }},
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
                      },
                      [&](const CorrelationSnapshot& c) {
                        w.field("kind", "correlation").field("ts_ns", c.ts_ns).field("window", c.window);
                        w.key("symbols").array(c.symbols).key("matrix").array(c.matrix);
                      },
                      [&](const Heartbeat& h) {
                        w.field("process", std::string_view(h.process)).field("ts_ns", h.ts_ns);
                        w.field("uptime_s", h.uptime_s).field("bars", h.bars);
                      },
                      [&](const RiskStatus& r) {
                        w.field("account", std::string_view(r.account)).field("ts_ns", r.ts_ns);
                        w.field("risk_level", std::string_view(r.risk_level)).field("equity", r.equity);
                        w.field("margin_utilization", r.margin_utilization).field("maintenance_margin", r.maintenance_margin);
                        w.field("excess_margin", r.excess_margin).field("var", r.var).field("es", r.es);
                        w.field("confidence", r.confidence);
                      },
                      [&](const Forecast& f) {
                        w.field("ts_ns", f.ts_ns).key("states").array(f.states).key("probabilities").array(f.probabilities);
                        w.field("volatility", f.volatility).field("observations", f.observations);
                      }},
             m);
  return w.end_object().take();
}

Message decode(const Envelope& e) {
  using net::od::value;
  if (e.type == MessageType::analytics_result && e.topic == topics::analytics_results) {
    CorrelationSnapshot c;
    read_payload(e.payload, "correlation", [&](std::string_view k, value v) {
      if (k == "kind") {
        if (net::read_string(v, "payload.kind") != "correlation")
          fail(ErrorCode::invalid_argument, "payload.kind", "an analytics.results payload has kind 'correlation'");
      } else if (k == "ts_ns") c.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
      else if (k == "window") c.window = std::uint64_t(net::read_int(v, "payload.window", 0, INT64_MAX));
      else if (k == "symbols") c.symbols = net::read_strings(v, "payload.symbols");
      else if (k == "matrix") c.matrix = net::read_vector(v, "payload.matrix", net::Nulls::as_nan);
      else return false;
      return true;
    });
    if (c.matrix.size() != c.symbols.size() * c.symbols.size())
      fail(ErrorCode::dimension_mismatch, "payload.matrix", "{} symbols need {} matrix entries, got {}", c.symbols.size(),
           c.symbols.size() * c.symbols.size(), c.matrix.size());
    return c;
  }
  if (e.type == MessageType::analytics_result && e.topic == topics::risk_status) {
    RiskStatus r;
    read_payload(e.payload, "risk_status", [&](std::string_view k, value v) {
      auto num = [&] { return net::read_number(v, "payload." + std::string(k)); };
      if (k == "account") r.account = net::read_string(v, "payload.account");
      else if (k == "ts_ns") r.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
      else if (k == "risk_level") r.risk_level = net::read_string(v, "payload.risk_level");
      else if (k == "equity") r.equity = num();
      else if (k == "margin_utilization") r.margin_utilization = num();
      else if (k == "maintenance_margin") r.maintenance_margin = num();
      else if (k == "excess_margin") r.excess_margin = num();
      else if (k == "var") r.var = num();
      else if (k == "es") r.es = num();
      else if (k == "confidence") r.confidence = num();
      else return false;
      return true;
    });
    return r;
  }
  if (e.type == MessageType::analytics_result && e.topic == topics::ml_forecasts) {
    Forecast f;
    read_payload(e.payload, "forecast", [&](std::string_view k, value v) {
      if (k == "ts_ns") f.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
      else if (k == "states") f.states = net::read_strings(v, "payload.states");
      else if (k == "probabilities") f.probabilities = net::read_vector(v, "payload.probabilities");
      else if (k == "volatility") f.volatility = net::read_number(v, "payload.volatility");
      else if (k == "observations") f.observations = std::uint64_t(net::read_int(v, "payload.observations", 0, INT64_MAX));
      else return false;
      return true;
    });
    if (f.probabilities.size() != f.states.size())
      fail(ErrorCode::dimension_mismatch, "payload.probabilities", "one probability per state");
    return f;
  }
  return decode(e.type, e.payload);
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
    case MessageType::heartbeat: {
      Heartbeat h;
      read_payload(json, "heartbeat", [&](std::string_view k, value v) {
        if (k == "process") h.process = str(v, k);
        else if (k == "ts_ns") h.ts_ns = net::read_int(v, "payload.ts_ns", INT64_MIN, INT64_MAX);
        else if (k == "uptime_s") h.uptime_s = num(v, k);
        else if (k == "bars") h.bars = std::uint64_t(net::read_int(v, "payload.bars", 0, INT64_MAX));
        else return false;
        return true;
      });
      return h;
    }
    default: break;
  }
  fail(ErrorCode::invalid_argument, "type", "'{}' messages have no payload type", message_type_name(t));
}

std::string encode_envelope(const Envelope& e) {
  net::JsonWriter w(e.payload.size() + 160);
  w.begin_object().field("id", std::string_view(e.id)).field("type", message_type_name(e.type));
  w.field("source", std::string_view(e.source)).field("target", std::string_view(e.target));
  w.field("priority", std::int64_t(e.priority)).field("ts_ns", e.ts_ns).key("payload").raw(e.payload.empty() ? "null" : e.payload);
  return w.end_object().take();
}

Envelope decode_envelope(std::string_view topic, std::string_view json) {
  if (!is_topic(topic)) fail(ErrorCode::invalid_argument, "topic", "'{}' is not a topic", net::clip(topic, 100));
  simdjson::padded_string padded(json);
  // One parser per thread: a parser allocates its buffers on first use, which cost more than the parse
  // of a small envelope. Nothing below decodes another envelope while this one is open.
  thread_local simdjson::ondemand::parser parser;
  auto doc = parser.iterate(padded);
  net::od::object obj;
  if (doc.get_object().get(obj)) fail(ErrorCode::invalid_argument, "envelope", "a bus message is a JSON object");
  Envelope e;
  e.topic = std::string(topic);
  bool has_type = false, has_payload = false;
  for (auto kv : obj) {
    const std::string_view k = kv.unescaped_key();
    net::od::value v = kv.value();
    if (k == "id") e.id = net::read_string(v, "id");
    else if (k == "type") {
      e.type = kMessageTypeNames.parse(net::read_string(v, "type"), "type");
      has_type = true;
    } else if (k == "source") e.source = net::read_string(v, "source");
    else if (k == "target") e.target = net::read_string(v, "target");
    else if (k == "priority") e.priority = Priority(net::read_int(v, "priority", 1, 3));
    else if (k == "ts_ns") e.ts_ns = net::read_int(v, "ts_ns", INT64_MIN, INT64_MAX);
    else if (k == "payload") {
      e.payload = std::string(raw_json_of(v));
      has_payload = true;
    }
  }
  if (has_type && has_payload) return e;
  if (has_type || has_payload) fail(ErrorCode::invalid_argument, has_type ? "payload" : "type", "an envelope needs both type and payload");
  // A bare payload: the whole object.
  if (!topic.starts_with("marketdata.bars."))
    fail(ErrorCode::invalid_argument, "type", "a message on '{}' needs an envelope with its type", net::clip(topic, 100));
  e = Envelope{};
  e.topic = std::string(topic);
  e.type = MessageType::market_data;
  e.source = "external";
  e.payload = std::string(json);
  return e;
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
