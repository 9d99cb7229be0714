#include "sextant/app/serve.hpp"

#include <fmt/format.h>

#include <memory>

#include "sextant/accel/router.hpp"
#include "sextant/bus/bus.hpp"
#include "sextant/analytics/routes.hpp"
#include "sextant/portfolio/routes.hpp"
#include "sextant/risk/routes.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"
#include "sextant/net/server.hpp"
#include "dashboard_html.hpp"  // generated from web/index.html

namespace sextant::app {

const std::vector<EngineSpec>& engine_specs() {
  static const std::vector<EngineSpec> specs{{"analytics", 8100}, {"risk", 8200},   {"ml", 8400},
                                             {"features", 8500},  {"stream", 8600}, {"portfolio", 8900}};
  return specs;
}

std::vector<EngineSpec> select_engines(const std::string& list) {
  if (list == "all" || list.empty()) return engine_specs();
  std::vector<EngineSpec> out;
  std::size_t i = 0;
  while (i <= list.size()) {
    std::size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    std::string name = list.substr(i, j - i);
    bool found = false;
    for (const auto& s : engine_specs())
      if (s.name == name) {
        found = true;
        bool dup = false;
        for (const auto& o : out) dup |= o.name == s.name;
        if (!dup) out.push_back(s);
      }
    if (!found)
      fail(ErrorCode::config, "engines", "unknown engine '{}' (expected all, or a comma list of analytics, risk, ml, "
           "features, stream, portfolio)", name);
    i = j + 1;
  }
  return out;
}

namespace {

// The stream engine's GET / and its engine list (the page polls it).
void add_dashboard_routes(net::RouteTable& table, std::weak_ptr<net::EngineRegistry> weak, std::string host) {
  table.add("GET", "/", [](const net::Request&) {
    return net::Response::text(std::string(kDashboardHtml), "text/html; charset=utf-8");
  });
  table.add("GET", "/api/v1/engines", [weak, host](const net::Request&) {
    auto registry = weak.lock();
    if (!registry) fail(ErrorCode::internal, "", "the engine registry is gone (shutting down)");
    net::JsonWriter w(512);
    w.begin_object().key("engines").begin_array();
    for (const auto& e : registry->all()) {
      std::uint64_t n = 0;
      for (const auto& r : e->routes->routes()) n += r->stats->count();
      w.begin_object().field("engine", std::string_view(e->name)).field("port", std::int64_t(e->port));
      w.field("url", fmt::format("http://{}:{}", host, e->port)).field("requests", n).end_object();
    }
    w.end_array().field("uptime_s", registry->uptime_s()).end_object();
    return net::Response::json(w.take());
  });
}

}  // namespace

int serve(const Config& cfg) {
  auto engines = select_engines(cfg.engines);
  if (cfg.bus != "inproc")
    fail(ErrorCode::config, "bus", "bus '{}' is not available in this build yet; use --bus inproc", cfg.bus);

  // Calibrate before listening, so routing is fixed for the life of the process (and so
  // deterministic). From the cache this takes microseconds; measured, well under a second.
  auto& router = accel::Router::instance();
  router.ensure_calibrated();
  auto cal = router.calibration();
  fmt::print("sextant {}: accelerator calibration {} ({:.2f} s), backends:", SEXTANT_VERSION, cal.source, cal.seconds);
  for (int b = 0; b < accel::kBackendCount; ++b)
    if (router.available(accel::Backend(b))) fmt::print(" {}", accel::backend_name(accel::Backend(b)));
  fmt::print("\n");

  net::IoPool pool(cfg.resolved_threads());
  auto registry = std::make_shared<net::EngineRegistry>();
  // One in-process bus for every engine of this process (DESIGN §5).
  auto bus = std::make_shared<bus::InProcessBus>();
  std::vector<std::unique_ptr<net::Server>> servers;
  for (const auto& spec : engines) {
    int port = int(spec.base_port) + cfg.port_offset;
    if (port < 1 || port > 65535)
      fail(ErrorCode::config, "port_offset", "port offset {} puts the {} engine on port {}, outside 1..65535",
           cfg.port_offset, spec.name, port);
    auto table = std::make_shared<net::RouteTable>();
    std::string name(spec.name);
    net::add_common_routes(*table, name, registry);
    if (spec.name == "analytics") analytics::add_routes(*table);
    if (spec.name == "risk") risk::add_routes(*table, bus);
    if (spec.name == "portfolio") portfolio::add_routes(*table, bus);
    if (spec.name == "stream") add_dashboard_routes(*table, registry, cfg.host);
    net::ServerOptions opt;
    opt.engine = name;
    opt.host = cfg.host;
    opt.port = std::uint16_t(port);
    opt.body_limit_bytes = cfg.body_limit_mb << 20;
    opt.request_timeout_ms = cfg.request_timeout_ms;
    opt.max_connections = cfg.max_connections;
    opt.api_key = cfg.api_key;
    auto server = std::make_unique<net::Server>(pool, opt, table);
    server->start();
    registry->add({name, std::uint16_t(port), table});
    fmt::print("  {:<10} http://{}:{}\n", name, cfg.host, port);
    servers.push_back(std::move(server));
  }
  for (const auto& spec : engines)
    if (spec.name == "stream")
      fmt::print("dashboard: http://{}:{}/\n", cfg.host, int(spec.base_port) + cfg.port_offset);
  fmt::print("ready ({} I/O threads{}); Ctrl-C stops\n", cfg.resolved_threads(),
             cfg.api_key.empty() ? "" : ", API key required");
  std::fflush(stdout);

  pool.handle_signals([](int sig) { fmt::print("\nsextant: signal {}, shutting down\n", sig); });
  pool.run();
  servers.clear();
  fmt::print("sextant: stopped\n");
  return 0;
}

}  // namespace sextant::app
