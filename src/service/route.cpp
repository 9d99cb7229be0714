#include "sextant/service/route.hpp"

#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"

namespace sextant::service {

void require_response_size(double values, net::MatrixFormat format, std::uint64_t limit, const char* field, const char* what) {
  const double bytes = values * (format == net::MatrixFormat::base64 ? 8.0 : 22.0);
  if (bytes > double(limit))
    fail(ErrorCode::payload_too_large, field, "{} would take about {:.0f} MiB, over the response limit of {} MiB", what,
         bytes / double(1 << 20), limit >> 20);
}

net::Handler json_route(JsonHandler h, Stamp stamp) {
  return [h = std::move(h), stamp](const net::Request& req) {
    Stopwatch sw;
    Reply out{net::JsonWriter(1024), 200, {}};
    out.json.begin_object();
    h(req, out);
    req.check_deadline();
    if (!out.warnings.empty()) {
      out.json.key("warnings").begin_array();
      for (const auto& w : out.warnings) {
        out.json.begin_object().field("code", std::string_view(w.code)).field("message", std::string_view(w.message));
        if (!w.columns.empty()) {
          out.json.key("columns").begin_array();
          for (auto c : w.columns) out.json.value(std::uint64_t(c));
          out.json.end_array();
        }
        if (!w.fields.empty()) out.json.key("fields").array(w.fields);
        out.json.end_object();
      }
      out.json.end_array();
    }
    if (stamp == Stamp::yes) net::write_stamp(out.json, sw.elapsed_ms());
    return net::Response::json(out.json.end_object().take(), out.status);
  };
}

}  // namespace sextant::service
