// Stream engine HTTP adapter: the dashboard (GET /) and the engine list it polls (GET /api/v1/engines).
// The WebSocket hub arrives with its own issue.
#include <fmt/format.h>

#include "sextant/core/error.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/route.hpp"
#include "dashboard_html.hpp"  // generated from web/index.html

namespace sextant::stream {

void register_engine(service::EngineContext& ctx) {
  ctx.routes.add("GET", "/", [](const net::Request&) {
    return net::Response::text(std::string(kDashboardHtml), "text/html; charset=utf-8");
  }, net::Lane::io);
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
