#pragma once
// Method + path routing. Patterns are literal segments or {name} placeholders:
// "/api/v1/sme/engines/{name}/performance". Exact paths are looked up first, then patterns.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sextant/net/http.hpp"
#include "sextant/net/metrics.hpp"
#include "sextant/net/websocket.hpp"

namespace sextant::net {

//! Where a route's handler runs. `io`: on the I/O thread that read the request (status routes that
//! answer in microseconds, whatever the load); `compute`: on its engine's compute pool (everything else).
enum class Lane { compute, io };

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  std::shared_ptr<RouteStats> stats;  //!< latency and status counts of this route
  Lane lane = Lane::compute;
};

struct Match {
  const Route* route = nullptr;  //!< null: see status
  int status = 200;              //!< 404 no such path, 405 path exists for other methods
  std::string allow;             //!< for 405: the methods the path has
};

class RouteTable {
 public:
  void add(std::string method, std::string pattern, Handler handler, Lane lane = Lane::compute);
  //! Fills req.params for a pattern match.
  Match match(std::string_view method, std::string_view path, std::vector<std::pair<std::string, std::string>>& params) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  //! A WebSocket endpoint at an exact path; a GET there that asks to upgrade gets it.
  void add_websocket(std::string path, WsEndpoint endpoint);
  const WsEndpoint* websocket(std::string_view path) const;

 private:
  static bool pattern_has_placeholder(std::string_view pattern);
  std::vector<std::unique_ptr<Route>> routes_;
  std::unordered_map<std::string, std::vector<const Route*>> exact_;
  std::vector<const Route*> patterns_;
  std::vector<std::pair<std::string, std::unique_ptr<WsEndpoint>>> websockets_;
};

}  // namespace sextant::net
