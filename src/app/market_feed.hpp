#pragma once
// The process's market data: the bus subscription that keeps the bar store, and the simulator thread
// that publishes a bar per instrument every bar interval (`--market-data sim`, the embedded default).
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sextant/bus/bus.hpp"
#include "sextant/core/config.hpp"
#include "sextant/data/bar_store.hpp"

namespace sextant::app {

class MarketFeed {
 public:
  MarketFeed(const Config& cfg, std::shared_ptr<bus::Bus> bus, std::shared_ptr<data::BarStore> store);
  ~MarketFeed();  //!< stops the simulator, then the subscription
  std::uint64_t published() const { return published_; }

 private:
  void simulate(const Config& cfg);
  std::shared_ptr<bus::Bus> bus_;
  std::uint64_t subscription_ = 0;
  std::atomic<std::uint64_t> published_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sextant::app
