// The market feed (market_feed.hpp).
#include "market_feed.hpp"

#include <chrono>

#include "sextant/bus/codec.hpp"
#include "sextant/data/simulator.hpp"

namespace sextant::app {

MarketFeed::MarketFeed(const Config& cfg, std::shared_ptr<bus::Bus> bus, std::shared_ptr<data::BarStore> store) : bus_(std::move(bus)) {
  // A bad bar from outside is dropped here (the store counts it); it never reaches further.
  subscription_ = bus_->subscribe(std::string(bus::patterns::all_bars), [store](const bus::Envelope& e) {
    try {
      store->add(std::get<bus::MarketBar>(bus::decode(e.type, e.payload)));
    } catch (const Error&) {
    }
  });
  if (cfg.market_data == "sim") thread_ = std::thread([this, cfg] { simulate(cfg); });
}

MarketFeed::~MarketFeed() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bus_->unsubscribe(subscription_);
}

void MarketFeed::simulate(const Config& cfg) {
  data::SimulatorConfig sc;
  sc.instruments = cfg.sim_instruments;
  sc.sectors = std::min<std::size_t>(5, cfg.sim_instruments);
  sc.seed = cfg.sim_seed;
  data::MarketSimulator sim(sc);
  bus::BusPublisher publisher(bus_, "marketdata");
  const auto interval = std::chrono::milliseconds(cfg.bar_interval_ms);
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(m_);
  while (!stop_) {
    const auto ts = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    lock.unlock();
    for (auto& bar : sim.step(ts)) publisher.publish(std::move(bar), bus::Priority::normal);
    ++published_;
    lock.lock();
    next += interval;
    cv_.wait_until(lock, next, [this] { return stop_; });
  }
}

}  // namespace sextant::app
