// The stream hub: subscriptions by pattern, per-topic sequence numbers, fan-out (stream/hub.hpp).
#include "sextant/stream/hub.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "sextant/core/error.hpp"
#include "sextant/net/json.hpp"

namespace sextant::stream {

struct Hub::Client {
  std::shared_ptr<net::WsConnection> conn;
  std::vector<std::string> patterns;  //!< guarded by Hub::mu_
  std::uint64_t last_epoch = 0;       //!< publish's de-duplication stamp
  bool detached = false;              //!< guarded by Hub::mu_
};

namespace {

bool is_wildcard(std::string_view p) { return p == "*" || (p.size() > 2 && p.ends_with(".*")); }

// Only the latest value of these matters to a consumer that is behind; the others are events.
bool conflatable(bus::MessageType t) {
  switch (t) {
    case bus::MessageType::market_data:
    case bus::MessageType::analytics_result:
    case bus::MessageType::system_status:
    case bus::MessageType::heartbeat: return true;
    case bus::MessageType::trade_execution:
    case bus::MessageType::order_update:
    case bus::MessageType::portfolio_update:
    case bus::MessageType::risk_alert: return false;
  }
  return false;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string reply(std::string_view type, const std::vector<std::string>& topics) {
  net::JsonWriter w(64);
  w.begin_object().field("type", type).key("topics").array(topics).end_object();
  return w.take();
}

std::string error_reply(std::string_view message, std::string_view field) {
  net::JsonWriter w(128);
  w.begin_object().field("type", "error").field("message", net::clip(message, 600)).field("field", net::clip(field, 200));
  return w.end_object().take();
}

template <class V>
void erase_client(V& v, const Hub::Client* c) {
  v.erase(std::remove_if(v.begin(), v.end(), [c](const auto& p) { return p.get() == c; }), v.end());
}

}  // namespace

void check_pattern(std::string_view p, std::string_view field) {
  if (p == "*") return;
  const std::string_view base = p.ends_with(".*") ? p.substr(0, p.size() - 2) : p;
  if (base.empty() || !bus::is_topic(base))
    fail(ErrorCode::invalid_argument, std::string(field),
         "'{}' is not a topic pattern: use a dotted topic ('risk.alerts'), a prefix and '.*' ('marketdata.bars.*'), or '*'",
         net::clip(p, 100));
}

Hub::Hub(HubOptions options) : options_(options) {}
Hub::~Hub() = default;

net::WsHandlers Hub::attach(std::shared_ptr<net::WsConnection> conn) {
  auto client = std::make_shared<Client>();
  client->conn = std::move(conn);
  clients_.fetch_add(1, std::memory_order_relaxed);
  opened_.fetch_add(1, std::memory_order_relaxed);
  std::weak_ptr<Hub> weak = shared_from_this();
  net::WsHandlers h;
  h.on_message = [weak, client](std::string_view text) {
    if (auto hub = weak.lock()) hub->on_message(client, text);
  };
  h.on_close = [weak, client](net::WsEnd why) {
    if (auto hub = weak.lock()) hub->detach(client, why);
  };
  return h;
}

void Hub::on_message(const std::shared_ptr<Client>& c, std::string_view text) {
  try {
    net::Request req;
    req.body.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    req.body.assign(text);
    net::Body body(req);
    std::string op;
    std::vector<std::string> topics;
    bool has_topics = false;
    for (auto f : body.root()) {
      const std::string_view k = f.unescaped_key();
      if (k == "op") op = net::read_string(f.value(), "op");
      else if (k == "topics") {
        topics = net::read_strings(f.value(), "topics");
        has_topics = true;
      } else if (k != "id") fail(ErrorCode::invalid_argument, std::string(k), "unknown field; a client message has op, topics and id");
    }
    if (op == "ping") {
      net::JsonWriter w(48);
      c->conn->send(w.begin_object().field("type", "pong").field("ts_ns", now_ns()).end_object().take());
      return;
    }
    if (op != "subscribe" && op != "unsubscribe")
      fail(ErrorCode::invalid_argument, "op", "op must be subscribe, unsubscribe or ping (got '{}')", net::clip(op, 60));
    if (!has_topics) fail(ErrorCode::invalid_argument, "topics", "{} needs a topics array", op);
    for (std::size_t i = 0; i < topics.size(); ++i) check_pattern(topics[i], fmt::format("topics[{}]", i));
    if (op == "subscribe") subscribe(c, topics);
    else unsubscribe(c, topics);
  } catch (const Error& e) {
    client_errors_.fetch_add(1, std::memory_order_relaxed);
    c->conn->send(error_reply(e.what(), e.field()));
  } catch (const simdjson::simdjson_error& e) {
    client_errors_.fetch_add(1, std::memory_order_relaxed);
    c->conn->send(error_reply(std::string("malformed JSON: ") + e.what(), ""));
  }
}

void Hub::subscribe(const std::shared_ptr<Client>& c, const std::vector<std::string>& patterns) {
  std::vector<std::string> held;
  {
    std::unique_lock lock(mu_);
    if (c->detached) return;
    for (const auto& p : patterns) {
      if (std::find(c->patterns.begin(), c->patterns.end(), p) != c->patterns.end()) continue;
      if (c->patterns.size() >= options_.max_patterns_per_client)
        fail(ErrorCode::invalid_argument, "topics", "a connection holds at most {} patterns", options_.max_patterns_per_client);
      c->patterns.push_back(p);
      if (is_wildcard(p)) {
        auto it = std::find_if(wildcard_.begin(), wildcard_.end(), [&](const auto& w) { return w.first == p; });
        if (it == wildcard_.end()) it = wildcard_.insert(wildcard_.end(), {p, {}});
        it->second.push_back(c);
      } else {
        exact_[p].push_back(c);
      }
    }
    held = c->patterns;
  }
  c->conn->send(reply("subscribed", held));
}

void Hub::remove_pattern(const Client* c, const std::string& p) {
  if (is_wildcard(p)) {
    auto it = std::find_if(wildcard_.begin(), wildcard_.end(), [&](const auto& w) { return w.first == p; });
    if (it == wildcard_.end()) return;
    erase_client(it->second, c);
    if (it->second.empty()) wildcard_.erase(it);
  } else if (auto it = exact_.find(p); it != exact_.end()) {
    erase_client(it->second, c);
    if (it->second.empty()) exact_.erase(it);
  }
}

void Hub::unsubscribe(const std::shared_ptr<Client>& c, const std::vector<std::string>& patterns) {
  std::vector<std::string> held;
  {
    std::unique_lock lock(mu_);
    for (const auto& p : patterns) {
      auto pos = std::find(c->patterns.begin(), c->patterns.end(), p);
      if (pos == c->patterns.end()) continue;
      c->patterns.erase(pos);
      remove_pattern(c.get(), p);
    }
    held = c->patterns;
  }
  c->conn->send(reply("unsubscribed", held));
}

void Hub::detach(const std::shared_ptr<Client>& c, net::WsEnd why) {
  {
    std::unique_lock lock(mu_);
    if (c->detached) return;
    c->detached = true;
    for (const auto& p : c->patterns) remove_pattern(c.get(), p);
    c->patterns.clear();
  }
  clients_.fetch_sub(1, std::memory_order_relaxed);
  switch (why) {
    case net::WsEnd::slow_consumer: closed_slow_.fetch_add(1, std::memory_order_relaxed); break;
    case net::WsEnd::stalled: closed_stalled_.fetch_add(1, std::memory_order_relaxed); break;
    case net::WsEnd::protocol_error: protocol_errors_.fetch_add(1, std::memory_order_relaxed); break;
    case net::WsEnd::peer_closed:
    case net::WsEnd::server_closed: break;
  }
}

void Hub::publish(const bus::Envelope& e) {
  std::lock_guard publishing(publish_mu_);
  recipients_.clear();
  const std::uint64_t epoch = ++epoch_;
  {
    std::shared_lock lock(mu_);
    auto add = [&](const std::vector<std::shared_ptr<Client>>& v) {
      for (const auto& c : v)
        if (c->last_epoch != epoch) {
          c->last_epoch = epoch;
          recipients_.push_back(c);
        }
    };
    if (auto it = exact_.find(e.topic); it != exact_.end()) add(it->second);
    for (const auto& [pattern, clients] : wildcard_)
      if (bus::topic_matches(pattern, e.topic)) add(clients);
  }
  if (recipients_.empty()) return;
  const std::uint64_t seq = ++seq_[e.topic];
  std::string text;
  text.reserve(e.payload.size() + e.topic.size() + 96);
  fmt::format_to(std::back_inserter(text), R"({{"type":"{}","topic":")", bus::message_type_name(e.type));
  const std::size_t topic_at = text.size();
  fmt::format_to(std::back_inserter(text), R"({}","seq":{},"ts_ns":{},"payload":{}}})", e.topic, seq, e.ts_ns,
                 e.payload.empty() ? "null" : e.payload);
  auto shared = std::make_shared<const std::string>(std::move(text));
  // The conflation key is the topic inside the message itself: it lives exactly as long as the message.
  const std::string_view key = conflatable(e.type) ? std::string_view(*shared).substr(topic_at, e.topic.size()) : std::string_view();
  std::uint64_t conflated = 0;
  net::WsWakeBatch wake;  // one hand-off to the I/O threads for all the recipients
  for (const auto& c : recipients_)
    if (c->conn->send(shared, key, &wake) == net::WsPush::conflated) ++conflated;
  wake.flush();
  deliveries_.fetch_add(recipients_.size(), std::memory_order_relaxed);
  recipients_.clear();
  messages_.fetch_add(1, std::memory_order_relaxed);
  conflated_.fetch_add(conflated, std::memory_order_relaxed);
}

HubStats Hub::stats() const {
  HubStats s;
  s.clients = clients_.load(std::memory_order_relaxed);
  s.opened = opened_.load(std::memory_order_relaxed);
  s.messages = messages_.load(std::memory_order_relaxed);
  s.deliveries = deliveries_.load(std::memory_order_relaxed);
  s.conflated = conflated_.load(std::memory_order_relaxed);
  s.closed_slow = closed_slow_.load(std::memory_order_relaxed);
  s.closed_stalled = closed_stalled_.load(std::memory_order_relaxed);
  s.protocol_errors = protocol_errors_.load(std::memory_order_relaxed);
  s.client_errors = client_errors_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sextant::stream
