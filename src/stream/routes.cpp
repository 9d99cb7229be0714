// Stream engine adapter: the WebSocket hub at /ws (fed by every bus topic), an echo endpoint for
// benchmarks at /ws/echo, the hub's counters, the dashboard (GET /) and the engine list it polls.
#include <fmt/format.h>

#include <cstdlib>

#include "sextant/core/error.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/route.hpp"
#include "sextant/stream/hub.hpp"
#include "stream/assets.hpp"

namespace sextant::stream {

namespace {

net::WsSettings ws_settings(const Config& cfg) {
  net::WsSettings s;
  s.ping_interval_ms = cfg.ws_ping_interval_ms;
  s.stall_timeout_ms = cfg.ws_stall_timeout_ms;
  s.max_message_bytes = cfg.ws_max_message_mb << 20;
  return s;
}

// ?batch=true opts in to batching; any other query parameter is an error.
bool read_batch(const net::Request& req) {
  bool batch = false;
  for (const auto& [k, v] : req.query_params()) {
    if (k != "batch") fail(ErrorCode::invalid_argument, k, "unknown query parameter; /ws takes batch=true|false");
    if (v != "true" && v != "false" && v != "1" && v != "0")
      fail(ErrorCode::invalid_argument, "batch", "batch must be true or false, got '{}'", v);
    batch = v == "true" || v == "1";
  }
  return batch;
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  auto hub = std::make_shared<Hub>();
  // Every topic: the hub's index decides who gets what. The queue is deep because a burst of bars
  // (one per instrument) arrives at once; the hub itself never waits on a client.
  ctx.bus->subscribe(std::string(bus::patterns::everything), [hub](const bus::Envelope& e) { hub->publish(e); }, 1 << 16);

  ctx.routes.add_websocket("/ws", {ws_settings(ctx.config), [hub](const std::shared_ptr<net::WsConnection>& conn, const net::Request& req) {
                                     conn->set_batching(read_batch(req));
                                     return hub->attach(conn);
                                   }});
  ctx.routes.add_websocket("/ws/echo", {ws_settings(ctx.config), [](const std::shared_ptr<net::WsConnection>& conn, const net::Request&) {
                                          std::weak_ptr<net::WsConnection> weak = conn;
                                          net::WsHandlers h;
                                          h.on_message = [weak](std::string_view text) {
                                            if (auto c = weak.lock()) c->send(std::string(text));
                                          };
                                          return h;
                                        }});
  ctx.routes.add("GET", "/stream/stats", service::json_route([hub](const net::Request&, service::Reply& out) {
    const auto s = hub->stats();
    out.json.field("clients", s.clients).field("opened", s.opened).field("messages", s.messages);
    out.json.field("deliveries", s.deliveries).field("conflated", s.conflated).field("closed_slow", s.closed_slow);
    out.json.field("closed_stalled", s.closed_stalled).field("protocol_errors", s.protocol_errors);
    out.json.field("client_errors", s.client_errors);
  }, service::Stamp::no), net::Lane::io);

  // The bar store, for charts: the symbols, and one symbol's last bars.
  std::weak_ptr<data::BarStore> bars = ctx.stores.bars;
  ctx.routes.add("GET", "/bars", service::json_route([bars](const net::Request&, service::Reply& out) {
    auto store = bars.lock();
    if (!store) fail(ErrorCode::internal, "", "the bar store is gone (shutting down)");
    out.json.key("symbols").array(store->symbols());
  }, service::Stamp::no), net::Lane::io);
  ctx.routes.add("GET", "/bars/{symbol}", service::json_route([bars](const net::Request& req, service::Reply& out) {
    auto store = bars.lock();
    if (!store) fail(ErrorCode::internal, "", "the bar store is gone (shutting down)");
    std::size_t limit = 500;
    for (const auto& [k, v] : req.query_params()) {
      if (k != "limit") fail(ErrorCode::invalid_argument, k, "unknown query parameter; /bars/{{symbol}} takes limit");
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 100000) fail(ErrorCode::invalid_argument, "limit", "limit must be an integer in 1..100000, got '{}'", v);
      limit = std::size_t(n);
    }
    const std::string symbol(req.param("symbol"));
    auto& w = out.json;
    w.field("symbol", std::string_view(symbol)).key("bars").begin_array();
    for (const auto& b : store->last(symbol, limit)) {
      w.begin_object().field("ts_ns", b.ts_ns).field("open", b.open).field("high", b.high).field("low", b.low);
      w.field("close", b.close).field("volume", b.volume).end_object();
    }
    w.end_array();
  }, service::Stamp::no), net::Lane::io);

  for (const char* path : {"/", "/assets/lightweight-charts.js", "/assets/echarts.js"}) {
    ctx.routes.add("GET", path, [](const net::Request& req) {
      const auto asset = dashboard_asset(req.path);
      net::Response res = net::Response::text(std::string(asset->body), std::string(asset->content_type));
      // The libraries change only with the binary; the page is re-read on each visit.
      if (req.path != "/") res.headers.emplace_back("Cache-Control", "public, max-age=86400");
      return res;
    }, net::Lane::io);
  }
  std::weak_ptr<net::EngineRegistry> weak = ctx.stores.engines;
  ctx.routes.add("GET", "/api/v1/engines", service::json_route([weak, host = ctx.config.host](const net::Request&, service::Reply& out) {
    auto registry = weak.lock();
    if (!registry) fail(ErrorCode::internal, "", "the engine registry is gone (shutting down)");
    auto& w = out.json;
    w.key("engines").begin_array();
    for (const auto& e : registry->all()) {
      std::uint64_t n = 0;
      for (const auto& r : e->routes->routes()) n += r->stats->count();
      w.begin_object().field("engine", std::string_view(e->name)).field("port", std::int64_t(e->port));
      w.field("url", fmt::format("http://{}:{}", host, e->port)).field("requests", n).end_object();
    }
    w.end_array().field("uptime_s", registry->uptime_s());
  }, service::Stamp::no), net::Lane::io);
}

}  // namespace sextant::stream
