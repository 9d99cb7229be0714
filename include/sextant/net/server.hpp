#pragma once
// HTTP/1.1 server on Boost.Beast. This header hides Beast behind pimpl: only src/net/server.cpp
// includes Beast and Asio (they cost seconds of compile time per translation unit).
//
// Roles (after the Beast examples): IoPool owns the io_context and its threads; Server is one
// listening port (the Listener) and spawns one HttpSession per connection, which reads, routes,
// calls the handler, and writes.
//
// Threads: the I/O threads read, authenticate (on the header, before any body byte), route and
// write; `Lane::io` routes (/health, /metrics, status) run there too. Every other handler runs on its
// engine's own compute pool, so one engine's heavy requests never hold an I/O thread or another
// engine's workers. Admission: an engine runs at most `compute_threads` requests and queues at most
// `queue_limit` more; past that the answer is 503 with Retry-After. Memory: a body grows as its bytes
// arrive (never reserved from Content-Length), and the bodies declared by all requests in flight in the
// process together stay within `body_budget_bytes` (503 past it).
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
  std::uint64_t request_timeout_ms = 30000;  //!< the deadline of the work, from the request's last byte
  //! Reading one request (header and body) and writing one response. Separate from the deadline: a
  //! 300 ms deadline must not cut off the upload of a 24 MB body.
  std::uint64_t io_timeout_ms = 30000;
  std::uint32_t max_connections = 10000;
  std::string api_key;  //!< empty: no auth. Otherwise every path but /health needs "Bearer <key>"
  std::uint32_t compute_threads = 0;  //!< this engine's compute pool; 0: one per core
  std::uint32_t queue_limit = 64;     //!< requests waiting for a compute thread before 503
  std::uint64_t body_budget_bytes = 1024ull << 20;  //!< all bodies in flight in the process (shared)
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
