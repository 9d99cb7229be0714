#pragma once
// The narrow interface an engine library publishes through: typed messages, no JSON, no network.
// The service layer binds one to the process's bus for each engine (bus/codec.hpp's BusPublisher);
// tests bind one that records.
#include "sextant/bus/topics.hpp"

namespace sextant::bus {

class Publisher {
 public:
  virtual ~Publisher() = default;
  //! Never blocks on subscribers; the message's topic follows from its type (and symbol).
  virtual void publish(Message m, Priority p) = 0;
};

}  // namespace sextant::bus
