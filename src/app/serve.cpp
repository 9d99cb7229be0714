#include "sextant/app/serve.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include "sextant/accel/router.hpp"
#include "sextant/bus/bus.hpp"
#include "sextant/bus/redis.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/server.hpp"
#include "market_feed.hpp"

namespace sextant::app {

std::string engine_names(std::span<const service::EngineRow> table) {
  std::string out;
  for (const auto& row : table) out += (out.empty() ? "" : ", ") + std::string(row.name);
  return out;
}

std::vector<service::EngineRow> select_engines(const std::string& list, std::span<const service::EngineRow> table) {
  if (list == "all" || list.empty()) return {table.begin(), table.end()};
  std::vector<service::EngineRow> out;
  std::size_t i = 0;
  while (i <= list.size()) {
    std::size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    const std::string name = list.substr(i, j - i);
    bool found = false;
    for (const auto& row : table)
      if (row.name == name) {
        found = true;
        bool dup = false;
        for (const auto& o : out) dup |= o.name == row.name;
        if (!dup) out.push_back(row);
      }
    if (!found)
      fail(ErrorCode::config, "engines", "unknown engine '{}' (expected all, or a comma list of {})", name, engine_names(table));
    i = j + 1;
  }
  return out;
}

namespace {

// The configuration as served: with the Redis bus, several processes share the market data, so the
// simulator runs only where --market-data sim is given (elsewhere it would publish a second universe).
Config effective(Config cfg) {
  if (cfg.bus != "inproc") {
    auto it = cfg.source.find("market_data");
    if (it == cfg.source.end() || it->second == "default") cfg.market_data = "none";
  }
  return cfg;
}

// One bus for every engine of the process (DESIGN §5): in process, or Redis between processes.
std::shared_ptr<bus::Bus> make_bus(const Config& cfg) {
  if (cfg.bus == "inproc") return std::make_shared<bus::InProcessBus>();
  bus::RedisOptions o = bus::parse_redis_url(cfg.bus, "bus");
  o.group = cfg.bus_group.empty() ? "sextant-" + cfg.engines : cfg.bus_group;
  return std::make_shared<bus::RedisBus>(o);
}

// The bus's counters on every port's /metrics.
void add_bus_metrics(net::EngineRegistry& reg, std::weak_ptr<bus::Bus> weak) {
  reg.add_metrics([weak](std::string& out) {
    auto b = weak.lock();
    if (!b) return;
    auto it = std::back_inserter(out);
    if (auto* local = dynamic_cast<bus::InProcessBus*>(b.get())) {
      fmt::format_to(it, "# HELP sextant_bus_published_total Messages published on the in-process bus.\n"
                         "# TYPE sextant_bus_published_total counter\nsextant_bus_published_total {}\n"
                         "# HELP sextant_bus_dropped_total Messages a full subscriber queue dropped (oldest first).\n"
                         "# TYPE sextant_bus_dropped_total counter\nsextant_bus_dropped_total {}\n"
                         "# HELP sextant_bus_handler_errors_total Handlers that threw.\n"
                         "# TYPE sextant_bus_handler_errors_total counter\nsextant_bus_handler_errors_total {}\n",
                     local->published(), local->dropped(), local->handler_errors());
    } else if (auto* redis = dynamic_cast<bus::RedisBus*>(b.get())) {
      const auto c = redis->counters();
      fmt::format_to(it, "# HELP sextant_redis_connected Whether the bus's publisher and subscriber connections are up.\n"
                         "# TYPE sextant_redis_connected gauge\nsextant_redis_connected{{connection=\"publisher\"}} {}\n"
                         "sextant_redis_connected{{connection=\"subscriber\"}} {}\n",
                     int(c.publisher_connected), int(c.subscriber_connected));
      const std::pair<const char*, std::uint64_t> counters[] = {
          {"published", c.published}, {"dropped", c.dropped}, {"reconnects", c.reconnects}, {"received", c.received},
          {"stream_delivered", c.stream_delivered}, {"stream_acked", c.stream_acked}, {"claimed", c.claimed},
          {"malformed", c.malformed}};
      out += "# HELP sextant_redis_total Redis bus counters: published, dropped (buffer full during an outage), reconnects, "
             "received, stream_delivered, stream_acked, claimed, malformed.\n# TYPE sextant_redis_total counter\n";
      for (const auto& [name, v] : counters) fmt::format_to(it, "sextant_redis_total{{counter=\"{}\"}} {}\n", name, v);
      fmt::format_to(it, "# HELP sextant_redis_buffered Messages waiting for Redis.\n# TYPE sextant_redis_buffered gauge\n"
                         "sextant_redis_buffered {}\n", c.buffered);
    }
  });
}

}  // namespace

struct Platform::Impl {
  explicit Impl(const Config& c) : cfg(effective(c)), pool(c.resolved_threads()), bus(make_bus(c)) {}
  Config cfg;
  net::IoPool pool;
  service::SharedStores stores{std::make_shared<net::EngineRegistry>()};
  std::shared_ptr<bus::Bus> bus;
  std::vector<std::pair<std::string, std::unique_ptr<net::Server>>> servers;
  std::unique_ptr<MarketFeed> feed;  // started after the engines subscribed
};

namespace {

// The engines a configuration serves; Error(config) for an unknown engine or bus.
std::vector<service::EngineRow> checked_engines(const Config& cfg, std::span<const service::EngineRow> table) {
  auto engines = select_engines(cfg.engines, table);
  if (cfg.bus != "inproc") bus::parse_redis_url(cfg.bus, "bus");  // Error(config) naming "bus" when malformed
  return engines;
}

std::uint32_t connection_limit(std::uint32_t wanted, std::size_t engines) {
  // Each connection is a descriptor: raise the soft limit to the hard one, then fit the engines'
  // connections beneath it, leaving room for files, the bus and the listeners.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return wanted;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  constexpr rlim_t kReserve = 64;
  const rlim_t per_engine = lim.rlim_cur > kReserve ? (lim.rlim_cur - kReserve) / std::max<rlim_t>(1, engines) : 1;
  if (wanted <= per_engine) return wanted;
  const auto clamped = std::uint32_t(std::max<rlim_t>(1, per_engine));
  fmt::print(stderr, "sextant: warning: {} engines × --max-connections {} need more descriptors than RLIMIT_NOFILE ({}) allows; "
             "using {} per engine\n", engines, wanted, std::uint64_t(lim.rlim_cur), clamped);
  return clamped;
}

}  // namespace

Platform::Platform(const Config& cfg, std::span<const service::EngineRow> table) : impl_(std::make_unique<Impl>(cfg)) {
  const auto engines = checked_engines(cfg, table);
  const std::uint32_t max_connections = connection_limit(cfg.max_connections, engines.size());
  for (const auto& row : engines) {
    const int port = int(row.base_port) + cfg.port_offset;
    if (port < 1 || port > 65535)
      fail(ErrorCode::config, "port_offset", "port offset {} puts the {} engine on port {}, outside 1..65535", cfg.port_offset,
           row.name, port);
    auto table_ = std::make_shared<net::RouteTable>();
    const std::string name(row.name);
    net::add_common_routes(*table_, name, impl_->stores.engines);
    service::EngineContext ctx{row.name, *table_, impl_->bus, impl_->cfg, impl_->stores, steady_clock()};
    if (row.register_routes) row.register_routes(ctx);
    net::ServerOptions opt;
    opt.engine = name;
    opt.host = cfg.host;
    opt.port = std::uint16_t(port);
    opt.body_limit_bytes = cfg.body_limit_mb << 20;
    opt.request_timeout_ms = cfg.request_timeout_ms;
    opt.io_timeout_ms = cfg.io_timeout_ms;
    opt.max_connections = max_connections;
    opt.api_key = cfg.api_key;
    opt.queue_limit = cfg.queue_limit;
    opt.body_budget_bytes = cfg.body_budget_mb << 20;
    auto server = std::make_unique<net::Server>(impl_->pool, opt, table_);
    server->start();
    impl_->stores.engines->add({name, std::uint16_t(port), table_});
    impl_->servers.emplace_back(name, std::move(server));
  }
  add_bus_metrics(*impl_->stores.engines, impl_->bus);
  impl_->feed = std::make_unique<MarketFeed>(impl_->cfg, impl_->bus, impl_->stores.bars);
}

Platform::~Platform() {
  impl_->feed.reset();
  impl_->servers.clear();
  impl_->bus->drain();
}

void Platform::run() { impl_->pool.run(); }
void Platform::stop() { impl_->pool.stop(); }

void Platform::handle_signals() {
  impl_->pool.handle_signals([](int sig) { fmt::print("\nsextant: signal {}, shutting down\n", sig); });
}

std::uint16_t Platform::port(std::string_view engine) const {
  for (const auto& [name, server] : impl_->servers)
    if (name == engine) return server->port();
  return 0;
}

int serve(const Config& given) {
  const Config cfg = effective(given);
  const auto engines = checked_engines(cfg, engine_table());  // a bad configuration fails before calibration
  // Calibrate before listening, so routing is fixed for the life of the process (and so
  // deterministic). From the cache this takes microseconds; measured, well under a second.
  auto& router = accel::Router::instance();
  router.ensure_calibrated();
  auto cal = router.calibration();
  fmt::print("sextant {}: accelerator calibration {} ({:.2f} s), backends:", SEXTANT_VERSION, cal.source, cal.seconds);
  for (int b = 0; b < accel::kBackendCount; ++b)
    if (router.available(accel::Backend(b))) fmt::print(" {}", accel::backend_name(accel::Backend(b)));
  fmt::print("\n");

  Platform platform(cfg, engine_table());
  for (const auto& row : engines)
    fmt::print("  {:<10} http://{}:{}\n", row.name, cfg.host, platform.port(row.name));
  if (cfg.bus != "inproc") fmt::print("bus: {} (consumer group {})\n", cfg.bus, cfg.bus_group.empty() ? "sextant-" + cfg.engines : cfg.bus_group);
  if (cfg.market_data == "sim")
    fmt::print("market data: simulator, {} instruments, a bar every {} ms (seed {})\n", cfg.sim_instruments, cfg.bar_interval_ms, cfg.sim_seed);
  else
    fmt::print("market data: bars from the bus only (--market-data none)\n");
  if (auto port = platform.port("stream")) fmt::print("dashboard: http://{}:{}/\n", cfg.host, port);
  fmt::print("ready ({} I/O threads{}); Ctrl-C stops\n", cfg.resolved_threads(), cfg.api_key.empty() ? "" : ", API key required");
  std::fflush(stdout);
  platform.handle_signals();
  platform.run();
  fmt::print("sextant: stopped\n");
  return 0;
}

}  // namespace sextant::app
