#pragma once
// The message bus (DESIGN §5): typed envelopes on dotted topics. Engines publish through `Bus`; the
// in-process bus is the default. The Redis bus arrives with its own issue.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sextant::bus {

enum class MessageType {
  market_data,
  trade_execution,
  order_update,
  portfolio_update,
  analytics_result,
  risk_alert,
  system_status,
  heartbeat,
};
std::string_view message_type_name(MessageType t);

//! {id, type, source, target, priority (1 low .. 3 high), ts_ns, payload} plus the topic it travels on.
struct Envelope {
  std::string id{};  //!< filled by publish when empty: "<source>-<sequence>"
  MessageType type = MessageType::system_status;
  std::string topic{};
  std::string source{}, target{};
  int priority = 2;
  std::int64_t ts_ns = 0;  //!< filled by publish when 0 (system clock)
  std::string payload{};   //!< a JSON value
};

//! "risk.alerts" matches itself; "marketdata.bars.*" matches every topic under the prefix; "*" all.
bool topic_matches(std::string_view pattern, std::string_view topic);

using Handler = std::function<void(const Envelope&)>;

class Bus {
 public:
  virtual ~Bus() = default;
  //! Delivers to every matching subscriber; returns how many received it.
  virtual std::size_t publish(Envelope e) = 0;
  virtual std::uint64_t subscribe(std::string pattern, Handler h) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

//! Synchronous in-process delivery on the publisher's thread. A handler that throws is counted and
//! skipped; it never reaches the publisher (a bad subscriber cannot fail a request).
class InProcessBus final : public Bus {
 public:
  std::size_t publish(Envelope e) override;
  std::uint64_t subscribe(std::string pattern, Handler h) override;
  void unsubscribe(std::uint64_t id) override;
  std::uint64_t published() const { return published_.load(); }
  std::uint64_t handler_errors() const { return handler_errors_.load(); }

 private:
  struct Subscription {
    std::uint64_t id;
    std::string pattern;
    std::shared_ptr<Handler> handler;
  };
  std::mutex mu_;
  std::vector<Subscription> subs_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::uint64_t> sequence_{0}, published_{0}, handler_errors_{0};
};

}  // namespace sextant::bus
