#include <chrono>

#include "sextant/bus/bus.hpp"

namespace sextant::bus {

std::string_view message_type_name(MessageType t) {
  static constexpr std::string_view names[] = {"market_data",      "trade_execution", "order_update",  "portfolio_update",
                                                "analytics_result", "risk_alert",      "system_status", "heartbeat"};
  return names[std::size_t(t)];
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return topic.size() > prefix.size() && topic.substr(0, prefix.size()) == prefix;
  }
  return pattern == topic;
}

std::size_t InProcessBus::publish(Envelope e) {
  const auto seq = ++sequence_;
  if (e.id.empty()) e.id = e.source + "-" + std::to_string(seq);
  if (e.ts_ns == 0)
    e.ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::shared_ptr<Handler>> targets;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : subs_)
      if (topic_matches(s.pattern, e.topic)) targets.push_back(s.handler);
  }
  ++published_;
  std::size_t delivered = 0;
  for (const auto& h : targets) {  // outside the lock: a handler may subscribe or publish
    try {
      (*h)(e);
      ++delivered;
    } catch (...) {
      ++handler_errors_;
    }
  }
  return delivered;
}

std::uint64_t InProcessBus::subscribe(std::string pattern, Handler h) {
  std::lock_guard lock(mu_);
  subs_.push_back({next_id_, std::move(pattern), std::make_shared<Handler>(std::move(h))});
  return next_id_++;
}

void InProcessBus::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [&](const Subscription& s) { return s.id == id; });
}

}  // namespace sextant::bus
