#include "sextant/net/common_routes.hpp"

#include <fmt/format.h>

#include <iterator>
#include <thread>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/json.hpp"

namespace sextant::net {

void EngineRegistry::add(EngineEntry e) {
  std::lock_guard lock(mu_);
  auto name = e.name;
  engines_[name] = std::make_shared<const EngineEntry>(std::move(e));
}

std::shared_ptr<const EngineEntry> EngineRegistry::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = engines_.find(name);
  return it == engines_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const EngineEntry>> EngineRegistry::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const EngineEntry>> out;
  for (auto& [_, e] : engines_) out.push_back(e);
  return out;
}

void EngineRegistry::add_metrics(std::function<void(std::string&)> writer) {
  std::lock_guard lock(mu_);
  metrics_.push_back(std::move(writer));
}

void EngineRegistry::write_metrics(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& w : metrics_) w(out);
}

double EngineRegistry::uptime_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

namespace {

using accel::Backend;
using accel::Op;

std::string status_json() {
  auto& router = accel::Router::instance();
  const auto& s = router.settings();
  JsonWriter w(2048);
  w.begin_object();
  w.field("acceleration", s.forced ? fmt::format("forced:{}", accel::backend_name(*s.forced)) : std::string("auto"));
  w.key("backends").begin_array();
  for (int b = 0; b < accel::kBackendCount; ++b) {
    w.begin_object().field("name", accel::backend_name(Backend(b))).field("available", router.available(Backend(b)));
    if (!router.available(Backend(b))) w.field("reason", std::string_view(router.unavailable_reason(Backend(b))));
    if (Backend(b) == Backend::cpu) w.field("blas", accel::blas_info());
    w.end_object();
  }
  w.end_array();
  w.field("default_backend", accel::backend_name(s.forced ? *s.forced : Backend::cpu));
  w.key("cpu").begin_object().field("model", accel::cpu_model());
  w.field("cores", std::int64_t(std::thread::hardware_concurrency()));
  w.key("features").array(accel::cpu_features()).end_object();
  w.key("thresholds").begin_object();
  auto opt = [&](std::string_view k, const std::optional<std::size_t>& v, std::size_t seed_default) {
    w.key(k).begin_object().field("value", std::uint64_t(v.value_or(seed_default))).field("set", v.has_value());
    w.end_object();
  };
  opt("SME_MATRIX_THRESHOLD", s.matrix_threshold, 64);
  opt("SME_LARGE_THRESHOLD", s.large_threshold, 2048);
  w.field("SME_JIT_THRESHOLD", std::uint64_t(s.jit_threshold));
  w.field("SME_MEMORY_POOL_MB", std::uint64_t(s.memory_pool_mb));
  w.end_object();
  auto cal = router.calibration();
  w.key("calibration").begin_object().field("source", std::string_view(cal.source));
  w.field("path", std::string_view(cal.path)).field("seconds", cal.seconds);
  w.key("table").begin_array();
  for (const auto& p : cal.points)
    w.begin_object()
        .field("op", accel::op_name(p.op))
        .field("size", std::uint64_t(p.size))
        .field("backend", accel::backend_name(p.backend))
        .field("ms", p.ms)
        .end_object();
  w.end_array().end_object();
  w.end_object();
  return w.take();
}

void write_latency(JsonWriter& w, const LatencySummary& s) {
  w.field("count", s.count).field("p50_ms", s.p50_ms).field("p90_ms", s.p90_ms).field("p99_ms", s.p99_ms);
  w.field("max_ms", s.max_ms).field("mean_ms", s.mean_ms);
}

std::string sme_metrics_json(const EngineRegistry& reg) {
  auto& router = accel::Router::instance();
  JsonWriter w(2048);
  w.begin_object().field("uptime_s", reg.uptime_s());
  w.key("operations").begin_array();
  for (int o = 0; o < accel::kOpCount; ++o)
    for (int b = 0; b < accel::kBackendCount; ++b) {
      auto c = router.counters(Op(o), Backend(b));
      auto d = router.decisions(Op(o), Backend(b));
      if (c.calls == 0 && d == 0) continue;
      w.begin_object().field("op", accel::op_name(Op(o))).field("backend", accel::backend_name(Backend(b)));
      w.field("decisions", d).field("calls", c.calls).field("total_ms", c.total_ms);
      w.field("mean_ms", c.calls ? c.total_ms / double(c.calls) : 0.0).end_object();
    }
  w.end_array();
  w.key("engines").begin_array();
  for (const auto& e : reg.all()) {
    std::uint64_t n = 0;
    for (const auto& r : e->routes->routes()) n += r->stats->count();
    w.begin_object().field("engine", std::string_view(e->name)).field("port", std::int64_t(e->port));
    w.field("requests", n).end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string label(std::string_view s) {  // Prometheus label value escaping
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}

std::string prometheus(const std::string& engine, const EngineRegistry& reg) {
  std::string out;
  auto it = std::back_inserter(out);
  auto self = reg.find(engine);
  fmt::format_to(it, "# HELP sextant_uptime_seconds Seconds since the process started.\n"
                     "# TYPE sextant_uptime_seconds gauge\nsextant_uptime_seconds {}\n", reg.uptime_s());
  out += "# HELP sextant_http_requests_total HTTP requests served, by route and status class.\n"
         "# TYPE sextant_http_requests_total counter\n";
  if (self)
    for (const auto& r : self->routes->routes())
      for (int cls = 1; cls <= 5; ++cls)
        if (auto n = r->stats->count_by_class(cls))
          fmt::format_to(it, "sextant_http_requests_total{{engine=\"{}\",route=\"{} {}\",code=\"{}xx\"}} {}\n", engine,
                         r->method, label(r->pattern), cls, n);
  out += "# HELP sextant_http_request_duration_seconds Request latency, by route.\n"
         "# TYPE sextant_http_request_duration_seconds histogram\n";
  if (self)
    for (const auto& r : self->routes->routes()) {
      std::uint64_t cum = 0;
      std::string lbl = fmt::format("engine=\"{}\",route=\"{} {}\"", engine, r->method, label(r->pattern));
      for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b) {
        cum += r->stats->bucket(b);
        fmt::format_to(it, "sextant_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", lbl, kLatencyBuckets[b],
                       cum);
      }
      fmt::format_to(it, "sextant_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", lbl, r->stats->count());
      fmt::format_to(it, "sextant_http_request_duration_seconds_sum{{{}}} {}\n", lbl, r->stats->sum_seconds());
      fmt::format_to(it, "sextant_http_request_duration_seconds_count{{{}}} {}\n", lbl, r->stats->count());
    }
  auto& router = accel::Router::instance();
  out += "# HELP sextant_accel_decisions_total Router decisions, by operation and backend.\n"
         "# TYPE sextant_accel_decisions_total counter\n";
  for (int o = 0; o < accel::kOpCount; ++o)
    for (int b = 0; b < accel::kBackendCount; ++b)
      if (router.available(Backend(b)))
        fmt::format_to(it, "sextant_accel_decisions_total{{op=\"{}\",backend=\"{}\"}} {}\n", accel::op_name(Op(o)),
                       accel::backend_name(Backend(b)), router.decisions(Op(o), Backend(b)));
  out += "# HELP sextant_accel_op_seconds_total Time spent in accelerator operations, by backend.\n"
         "# TYPE sextant_accel_op_seconds_total counter\n";
  for (int o = 0; o < accel::kOpCount; ++o)
    for (int b = 0; b < accel::kBackendCount; ++b)
      if (auto c = router.counters(Op(o), Backend(b)); c.calls)
        fmt::format_to(it, "sextant_accel_op_seconds_total{{op=\"{}\",backend=\"{}\"}} {}\n", accel::op_name(Op(o)),
                       accel::backend_name(Backend(b)), c.total_ms / 1e3);
  reg.write_metrics(out);
  return out;
}

std::string performance_json(const EngineEntry& e, const EngineRegistry& reg) {
  JsonWriter w(1024);
  w.begin_object().field("engine", std::string_view(e.name)).field("uptime_s", reg.uptime_s());
  w.key("operations").begin_array();
  for (const auto& r : e.routes->routes()) {
    w.begin_object().field("operation", fmt::format("{} {}", r->method, r->pattern));
    write_latency(w, r->stats->summary());
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace

void add_common_routes(RouteTable& table, const std::string& engine, std::shared_ptr<EngineRegistry> registry) {
  // Handlers hold the registry weakly: the registry holds the route tables, so a strong reference
  // here would be a cycle that outlives the servers.
  std::weak_ptr<EngineRegistry> weak = registry;
  auto reg = [weak]() {
    auto r = weak.lock();
    if (!r) fail(ErrorCode::internal, "", "the engine registry is gone (shutting down)");
    return r;
  };
  table.add("GET", "/health", [engine, reg](const Request&) {
    JsonWriter w(96);
    w.begin_object().field("status", "ok").field("engine", std::string_view(engine));
    w.field("uptime_s", reg()->uptime_s()).end_object();
    return Response::json(w.take());
  }, Lane::io);
  table.add("GET", "/metrics", [engine, reg](const Request&) {
    return Response::text(prometheus(engine, *reg()), "text/plain; version=0.0.4; charset=utf-8");
  }, Lane::io);
  table.add("GET", "/api/v1/sme/status", [](const Request&) { return Response::json(status_json()); }, Lane::io);
  table.add("GET", "/api/v1/sme/metrics", [reg](const Request&) { return Response::json(sme_metrics_json(*reg())); }, Lane::io);
  table.add("GET", "/api/v1/sme/engines/{name}/performance", [reg](const Request& req) {
    std::string name(req.param("name"));
    auto r = reg();
    auto e = r->find(name);
    if (!e) fail(ErrorCode::not_found, "name", "engine '{}' is not running in this process", name);
    return Response::json(performance_json(*e, *r));
  }, Lane::io);
}

}  // namespace sextant::net

namespace sextant::net {
void write_stamp(JsonWriter& w, double elapsed_ms) {
  w.field("calculation_time_ms", elapsed_ms).field("backend", accel::backend_name(accel::request_backend()));
}
}  // namespace sextant::net
