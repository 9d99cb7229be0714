#pragma once
// HTTP/1.1 server on Boost.Beast. This header hides Beast behind pimpl: only src/net/server.cpp
// includes Beast and Asio (they cost seconds of compile time per translation unit).
//
// Roles (after the Beast examples): IoPool owns the io_context and its threads; Server is one
// listening port (the Listener) and spawns one HttpSession per connection, which reads, routes,
// calls the handler, and writes. Handlers run on the I/O threads.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sextant/net/route_table.hpp"

namespace sextant::net {

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  //! Runs the I/O threads until stop() or SIGINT/SIGTERM (when handle_signals was called). Blocks.
  void run();
  void stop();
  void handle_signals(std::function<void(int)> on_signal);
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
  int threads_;
};

struct ServerOptions {
  std::string engine;  //!< engine name, for errors and metrics ("analytics")
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint64_t body_limit_bytes = 64ull << 20;
  std::uint64_t request_timeout_ms = 30000;
  std::uint32_t max_connections = 10000;
  std::string api_key;  //!< empty: no auth. Otherwise every path but /health needs "Bearer <key>"
};

class Server {
 public:
  Server(IoPool& pool, ServerOptions options, std::shared_ptr<const RouteTable> routes);
  ~Server();
  //! Binds and listens; throws Error(io) naming the port when it is taken or not bindable.
  void start();
  std::uint16_t port() const;
  std::uint64_t active_connections() const;
  //! Requests that matched no route (404/405) and requests refused before routing (401, 413, ...).
  const RouteStats& unrouted() const;
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

//! Maps an exception from a handler to a JSON error response (the only place codes meet HTTP).
Response error_response(std::exception_ptr e);
int http_status(int error_code);

}  // namespace sextant::net
