#pragma once
// The JSON form of each bus payload (bus/topics.hpp), and the envelope a message travels in.
// Encoding and decoding are exact inverses (doubles shortest round-trip).
#include <memory>
#include <string>
#include <string_view>

#include "sextant/bus/bus.hpp"
#include "sextant/bus/publisher.hpp"

namespace sextant::bus {

MessageType message_type(const Message& m);
//! The topic a message travels on: risk.alerts, portfolio.rebalance, marketdata.bars.<symbol>.
std::string topic_of(const Message& m);
std::string encode(const Message& m);
//! The payload of an envelope of type `t`; Error(invalid_argument) naming the field on a bad payload,
//! Error(invalid_argument) naming "type" for a type that has no payload struct.
Message decode(MessageType t, std::string_view json);
//! As above, with the topic telling apart the payloads that share a type (analytics_result:
//! features.<SYM> snapshots and analytics.results correlation snapshots).
Message decode(const Envelope& e);
Envelope envelope(const Message& m, Priority p, std::string source);

//! The envelope on the wire (the Redis bus): {"id","type","source","target","priority","ts_ns","payload"},
//! the payload spliced in as JSON. The topic travels beside it (the Redis channel).
std::string encode_envelope(const Envelope& e);
//! The inverse, for a message that arrived on `topic`. A JSON object without "payload" and "type" is taken
//! as a bare payload (what a redis-cli user would publish): its type follows from the topic (only
//! marketdata.bars.* has such a default; elsewhere it is an Error naming "type"). Error(invalid_argument)
//! naming the field for anything else malformed.
Envelope decode_envelope(std::string_view topic, std::string_view json);

//! Publishes to a bus as `source` (the engine's name).
class BusPublisher final : public Publisher {
 public:
  BusPublisher(std::shared_ptr<Bus> bus, std::string source) : bus_(std::move(bus)), source_(std::move(source)) {}
  void publish(Message m, Priority p) override { bus_->publish(envelope(m, p, source_)); }

 private:
  std::shared_ptr<Bus> bus_;
  std::string source_;
};

}  // namespace sextant::bus
