#pragma once
// The stream engine's hub (DESIGN §5): WebSocket clients subscribe to topic patterns, and every bus
// message is fanned out to the clients whose patterns match it.
//
// Client → server: {"op":"subscribe","topics":[...]}, {"op":"unsubscribe","topics":[...]},
// {"op":"ping"}. Replies: {"type":"subscribed"|"unsubscribed","topics":[every pattern held]},
// {"type":"pong","ts_ns":..}, {"type":"error","message":..,"field":..}.
// Server → client: {"type","topic","seq","ts_ns","payload"}: `type` is the envelope's message type,
// `seq` counts the messages of that topic the hub has sent (per topic, from 1, the same for every
// client), so a client that was conflated sees the gap.
//
// Fan-out: each message is encoded once and shared by every recipient's queue. Exact topics are
// found by hash; patterns ending in ".*" (and "*") are few and are scanned. Conflation and the closing
// of slow consumers are the connection's (net/websocket.hpp): market data, features and analytics
// results carry their topic as the conflation key; alerts, rebalances and orders never conflate.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sextant/bus/bus.hpp"
#include "sextant/net/websocket.hpp"

namespace sextant::stream {

struct HubOptions {
  std::size_t max_patterns_per_client = 1000;
};

struct HubStats {
  std::uint64_t clients = 0;         //!< connected now
  std::uint64_t opened = 0;          //!< since start
  std::uint64_t messages = 0;        //!< bus messages that reached at least one client
  std::uint64_t deliveries = 0;      //!< messages queued to clients
  std::uint64_t conflated = 0;       //!< deliveries that replaced a queued message
  std::uint64_t closed_slow = 0;     //!< closed with 1013: queue overflow
  std::uint64_t closed_stalled = 0;  //!< dropped: a write stalled past the timeout
  std::uint64_t protocol_errors = 0; //!< closed by the protocol checks (bad frames, too big, timeouts)
  std::uint64_t client_errors = 0;   //!< malformed client messages answered with an error
};

//! A pattern a client may hold: a topic, "prefix.*" or "*". Error(invalid_argument) naming `field`.
void check_pattern(std::string_view pattern, std::string_view field);

class Hub : public std::enable_shared_from_this<Hub> {
 public:
  explicit Hub(HubOptions options = {});
  ~Hub();
  //! Registers a new connection and returns what its session calls on messages and close.
  net::WsHandlers attach(std::shared_ptr<net::WsConnection> conn);
  //! Fans one bus message out. Called from one thread (the bus subscription's), never blocks on clients.
  void publish(const bus::Envelope& e);
  HubStats stats() const;

  struct Client;

 private:
  void on_message(const std::shared_ptr<Client>& c, std::string_view text);
  void subscribe(const std::shared_ptr<Client>& c, const std::vector<std::string>& patterns);
  void unsubscribe(const std::shared_ptr<Client>& c, const std::vector<std::string>& patterns);
  void detach(const std::shared_ptr<Client>& c, net::WsEnd why);
  void remove_pattern(const Client* c, const std::string& p);  //!< from the index; mu_ held

  HubOptions options_;
  mutable std::shared_mutex mu_;  //!< the subscription index
  std::unordered_map<std::string, std::vector<std::shared_ptr<Client>>> exact_;
  std::vector<std::pair<std::string, std::vector<std::shared_ptr<Client>>>> wildcard_;
  std::mutex publish_mu_;                                 //!< one publish at a time (seq order)
  std::unordered_map<std::string, std::uint64_t> seq_;  //!< per topic; touched by publish only
  std::uint64_t epoch_ = 0;                               //!< per published message, for de-duplication
  std::vector<std::shared_ptr<Client>> recipients_;       //!< publish's scratch
  std::atomic<std::uint64_t> clients_{0}, opened_{0}, messages_{0}, deliveries_{0}, conflated_{0}, closed_slow_{0},
      closed_stalled_{0}, protocol_errors_{0}, client_errors_{0};
};

}  // namespace sextant::stream
