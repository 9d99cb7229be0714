// The market feed (market_feed.hpp).
#include "market_feed.hpp"

#include <chrono>

#include "sextant/bus/codec.hpp"
#include "sextant/data/simulator.hpp"

namespace sextant::app {

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

MarketFeed::MarketFeed(const Config& cfg, std::shared_ptr<bus::Bus> bus, std::shared_ptr<data::BarStore> store) : bus_(std::move(bus)) {
  // A bad bar from outside is dropped here (the store counts it); it never reaches further.
  subscription_ = bus_->subscribe(std::string(bus::patterns::all_bars), [store](const bus::Envelope& e) {
    try {
      store->add(std::get<bus::MarketBar>(bus::decode(e.type, e.payload)));
    } catch (const Error&) {
    }
  });
  if (cfg.market_data == "sim") {
    data::SimulatorConfig sc;
    sc.instruments = cfg.sim_instruments;
    sc.sectors = std::min<std::size_t>(5, cfg.sim_instruments);
    sc.seed = cfg.sim_seed;
    auto sim = std::make_shared<data::MarketSimulator>(sc);
    // The backfill is written before the constructor returns, so a server that says "ready" has its history.
    const std::int64_t step_ns = std::int64_t(cfg.bar_interval_ms) * 1000000;
    const std::int64_t first = now_ns() - std::int64_t(cfg.sim_history) * step_ns;
    for (std::uint32_t i = 0; i < cfg.sim_history; ++i)
      for (const auto& bar : sim->step(first + std::int64_t(i) * step_ns)) store->add(bar);
    thread_ = std::thread([this, cfg, sim] { simulate(cfg, *sim); });
  }
  heartbeat_ = std::thread([this, store] {
    bus::BusPublisher publisher(bus_, "sextant");
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(m_);
    while (!stop_) {
      lock.unlock();
      bus::Heartbeat h;
      h.process = "sextant";
      h.ts_ns = now_ns();
      h.uptime_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto st = store->stats();
      h.bars = st.appended + st.replaced;
      publisher.publish(std::move(h), bus::Priority::low);
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  });
}

MarketFeed::~MarketFeed() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (heartbeat_.joinable()) heartbeat_.join();
  bus_->unsubscribe(subscription_);
}

void MarketFeed::simulate(const Config& cfg, data::MarketSimulator& sim) {
  bus::BusPublisher publisher(bus_, "marketdata");
  const auto interval = std::chrono::milliseconds(cfg.bar_interval_ms);
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(m_);
  while (!stop_) {
    const auto ts = now_ns();
    lock.unlock();
    auto bars = sim.step(ts);
    if (!cfg.sim_stagger) {
      for (auto& bar : bars) publisher.publish(std::move(bar), bus::Priority::normal);
    } else {
      // Spread over the interval, as a real feed's bars arrive: bar j at next + j·interval/N. The bars
      // keep the row's timestamp; their envelopes carry the moment they were sent.
      const auto row_start = next;
      for (std::size_t j = 0; j < bars.size(); ++j) {
        std::this_thread::sleep_until(row_start + interval * j / bars.size());
        publisher.publish(std::move(bars[j]), bus::Priority::normal);
        if (j % 64 == 0) {
          std::lock_guard check(m_);
          if (stop_) return;
        }
      }
    }
    ++published_;
    lock.lock();
    next += interval;
    cv_.wait_until(lock, next, [this] { return stop_; });
  }
}

}  // namespace sextant::app
