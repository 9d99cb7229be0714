#pragma once
// The message bus (DESIGN §5): envelopes on dotted topics (bus/topics.hpp), delivered to the
// subscribers whose pattern matches. The in-process bus is the default; the Redis bus implements the
// same interface.
//
// Flow: publish() stamps the envelope (id, ts_ns) and appends one shared copy to the bounded queue of
// every matching subscription, then returns; it never waits for a subscriber. Each subscription
// delivers its queue in order on its own thread. A full queue drops its oldest message and counts the
// drop (the newest market data matters most; a subscriber that cannot keep up sees gaps, not stalls).
// A handler that throws is counted and skipped.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sextant/bus/topics.hpp"

namespace sextant::bus {

//! {id, type, source, target, priority, ts_ns, payload} plus the topic it travels on.
struct Envelope {
  std::string id{};  //!< filled by publish when empty: "<source>-<sequence>"
  MessageType type = MessageType::system_status;
  std::string topic{};
  std::string source{}, target{};
  Priority priority = Priority::normal;
  std::int64_t ts_ns = 0;  //!< filled by publish when 0 (system clock)
  std::string payload{};   //!< a JSON value (bus/codec.hpp)
};

using Handler = std::function<void(const Envelope&)>;

//! Messages a subscription may hold undelivered before it drops its oldest.
inline constexpr std::size_t kDefaultQueueCapacity = 4096;

struct SubscriptionStats {
  std::uint64_t delivered = 0, dropped = 0, handler_errors = 0;
  std::size_t queued = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  //! Queues the envelope for every matching subscriber and returns how many; never blocks on them.
  //! Error(invalid_argument) naming "topic" when the topic is a pattern or empty.
  virtual std::size_t publish(Envelope e) = 0;
  //! Messages below min_priority are not delivered to this subscription. On the Redis bus a subscription
  //! with min_priority high reads the priority stream only (no PSUBSCRIBE): an alert consumer in a
  //! consumer group is then not sent every alert a second time through pub/sub only to drop it.
  virtual std::uint64_t subscribe(std::string pattern, Handler h, std::size_t queue_capacity = kDefaultQueueCapacity,
                                  Priority min_priority = Priority::low) = 0;
  //! Stops delivery; messages still queued for it are discarded.
  virtual void unsubscribe(std::uint64_t id) = 0;
  virtual SubscriptionStats stats(std::uint64_t id) const = 0;
  //! Waits until every queued message has been delivered (tests, orderly shutdown).
  virtual void drain() = 0;
};

class InProcessBus final : public Bus {
 public:
  InProcessBus();
  ~InProcessBus() override;
  std::size_t publish(Envelope e) override;
  std::uint64_t subscribe(std::string pattern, Handler h, std::size_t queue_capacity = kDefaultQueueCapacity,
                          Priority min_priority = Priority::low) override;
  void unsubscribe(std::uint64_t id) override;
  SubscriptionStats stats(std::uint64_t id) const override;
  void drain() override;
  std::uint64_t published() const;
  //! Runs the handlers of the subscriptions matching e's topic on the calling thread and returns how
  //! many ran. Each runs serialized with its subscription's delivery thread (a handler never runs
  //! concurrently with itself), and never waits in or drops from a queue. For a caller that must know the
  //! handlers have run (the Redis consumer group acks after them) without two thread hand-offs. A handler
  //! run this way must not call drain().
  std::size_t deliver_now(const Envelope& e);
  //! Summed over the live subscriptions.
  std::uint64_t handler_errors() const;
  std::uint64_t dropped() const;

  struct Subscription;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sextant::bus
