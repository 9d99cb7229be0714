#include "sextant/service/route.hpp"

#include "sextant/core/clock.hpp"
#include "sextant/net/common_routes.hpp"

namespace sextant::service {

net::Handler json_route(JsonHandler h, Stamp stamp) {
  return [h = std::move(h), stamp](const net::Request& req) {
    Stopwatch sw;
    Reply out{net::JsonWriter(1024), 200};
    out.json.begin_object();
    h(req, out);
    req.check_deadline();
    if (stamp == Stamp::yes) net::write_stamp(out.json, sw.elapsed_ms());
    return net::Response::json(out.json.end_object().take(), out.status);
  };
}

}  // namespace sextant::service
