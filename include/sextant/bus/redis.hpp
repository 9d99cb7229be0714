#pragma once
// The Redis bus (DESIGN §5): the same interface as the in-process bus, for engines in several processes.
//
// Wire: PUBLISH on the topic as channel, the JSON envelope (bus/codec.hpp encode_envelope) as message,
// so any Redis client can take part (`redis-cli PUBLISH marketdata.bars.X '{...}'`; a bare bar payload
// without an envelope is accepted too). Subscriptions PSUBSCRIBE their patterns ("marketdata.bars.*" is
// the same glob in Redis) on one connection and are delivered through local bounded queues, exactly as
// in process (a slow handler never blocks the bus).
//
// Priority 3 (alerts): also XADDed to the capped stream `sextant:priority`. Subscribers read those
// through a consumer group (one per process role, --bus-group), run the handlers on the consumer's thread
// (InProcessBus::deliver_now: no queue, no drop, no hand-off) and ack them after, and get them from the
// stream only (never twice through pub/sub). A process that was down reads what it
// missed when it returns; every `claim_interval_ms` it XAUTOCLAIMs entries another consumer of its
// group left pending for over `claim_idle_ms` (a consumer that died before acking).
//
// Outages: publishes go to an outbound buffer that a writer thread flushes; while Redis is away the
// buffer holds up to `buffer_limit` messages (the oldest beyond it are dropped and counted), and every
// connection reconnects with exponential backoff (100 ms doubling to 5 s) with ±25% jitter.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sextant/bus/bus.hpp"

namespace sextant::bus {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
  std::string group = "sextant";      //!< the consumer group of this process's role
  std::string consumer;               //!< unique per process; default "<group>-<host>-<pid>"
  std::size_t buffer_limit = 100000;  //!< messages held while Redis is away
  std::size_t stream_maxlen = 100000; //!< sextant:priority is capped near this
  int claim_idle_ms = 30000;          //!< pending this long, an entry is claimed from its consumer
  int claim_interval_ms = 5000;
};

//! redis://[:password@]host[:port][/db]; Error(config) naming `field` otherwise.
RedisOptions parse_redis_url(std::string_view url, std::string_view field = "bus");

inline constexpr std::string_view kPriorityStream = "sextant:priority";

struct RedisCounters {
  bool publisher_connected = false, subscriber_connected = false;
  std::uint64_t published = 0;       //!< sent to Redis
  std::uint64_t buffered = 0;        //!< waiting for Redis now
  std::uint64_t dropped = 0;         //!< dropped from a full buffer during an outage
  std::uint64_t reconnects = 0;
  std::uint64_t received = 0;        //!< pub/sub messages taken in
  std::uint64_t stream_delivered = 0, stream_acked = 0, claimed = 0, malformed = 0;
};

class RedisBus final : public Bus {
 public:
  //! Starts the connection threads; Redis need not be up yet (they keep trying).
  explicit RedisBus(RedisOptions options);
  ~RedisBus() override;
  std::size_t publish(Envelope e) override;
  std::uint64_t subscribe(std::string pattern, Handler h, std::size_t queue_capacity = kDefaultQueueCapacity,
                          Priority min_priority = Priority::low) override;
  void unsubscribe(std::uint64_t id) override;
  SubscriptionStats stats(std::uint64_t id) const override;
  //! Waits until the outbound buffer is flushed (or Redis is away) and local queues are delivered.
  void drain() override;
  RedisCounters counters() const;
  //! True once the connections are up, Redis has confirmed every pattern, and (with subscriptions) the
  //! consumer group exists, so a message published from now on reaches this process.
  bool ready() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace sextant::bus
