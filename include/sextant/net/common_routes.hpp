#pragma once
// The endpoints every engine port serves (DESIGN §4): /health, /metrics, /api/v1/sme/status,
// /api/v1/sme/metrics and /api/v1/sme/engines/{name}/performance.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sextant/net/route_table.hpp"

namespace sextant::net {

//! What the process knows of each engine it runs, so any port can report on any engine.
struct EngineEntry {
  std::string name;
  std::uint16_t port = 0;
  std::shared_ptr<const RouteTable> routes;
};

class EngineRegistry {
 public:
  void add(EngineEntry e);
  std::shared_ptr<const EngineEntry> find(const std::string& name) const;
  std::vector<std::shared_ptr<const EngineEntry>> all() const;
  double uptime_s() const;
  //! Adds Prometheus text to every port's /metrics (the app's bus counters, ...). Called per scrape.
  void add_metrics(std::function<void(std::string&)> writer);
  void write_metrics(std::string& out) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::function<void(std::string&)>> metrics_;
  std::map<std::string, std::shared_ptr<const EngineEntry>> engines_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

//! Adds the common endpoints for `engine` to `table`.
void add_common_routes(RouteTable& table, const std::string& engine, std::shared_ptr<EngineRegistry> registry);

}  // namespace sextant::net

namespace sextant::net {
class JsonWriter;
//! Adds the fields every engine response carries: calculation_time_ms (measured from `start_ms`
//! elapsed) and backend (the accelerator backend that served the request's last op).
void write_stamp(JsonWriter& w, double elapsed_ms);
}  // namespace sextant::net
