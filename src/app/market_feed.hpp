#pragma once
// The process's market data and pulse: the bus subscription that keeps the bar store; the simulator
// thread (`--market-data sim`, the embedded default), which first writes `sim_history` bars of backfill
// straight into the store (stamped in the past, so charts and rolling statistics have history at
// once) and then publishes a bar per instrument every bar interval; and a heartbeat on system.status
// every second.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sextant/bus/bus.hpp"
#include "sextant/core/config.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/simulator.hpp"

namespace sextant::app {

class MarketFeed {
 public:
  MarketFeed(const Config& cfg, std::shared_ptr<bus::Bus> bus, std::shared_ptr<data::BarStore> store);
  ~MarketFeed();  //!< stops the simulator, then the subscription
  std::uint64_t published() const { return published_; }

 private:
  void simulate(const Config& cfg, data::MarketSimulator& sim);
  void beat();
  std::shared_ptr<bus::Bus> bus_;
  std::uint64_t subscription_ = 0;
  std::atomic<std::uint64_t> published_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_, heartbeat_;
};

}  // namespace sextant::app
