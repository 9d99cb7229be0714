// libFuzzer: raw bytes to a real HTTP server in this process (Beast's parser, the session: the API key
// on the header, the body budget, direct body reads, routing, a Fields handler on the compute pool).
// Each input is one connection: write the bytes, close the write side, read until the server closes.
// A crash, a sanitizer report or a hang (libFuzzer's -timeout) is a finding.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "integration/http_client.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/server.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"

namespace {

struct Harness {
  sextant::net::IoPool pool{2};
  std::unique_ptr<sextant::net::Server> server;
  std::thread io;
  std::uint16_t port = 0;

  Harness() {
    using namespace sextant;
    auto table = std::make_shared<net::RouteTable>();
    net::add_common_routes(*table, "fuzz", std::make_shared<net::EngineRegistry>());
    table->add("POST", "/echo", service::json_route([](const net::Request& req, service::Reply& out) {
      std::vector<double> values;
      std::string text;
      service::Fields in;
      in.opt("values", values).opt("text", text);
      in.read(req, "/echo");
      out.json.field("text", text).key("values").array(values);
    }));
    table->add("GET", "/items/{name}", [](const net::Request& req) {
      return net::Response::json("{\"name\":\"" + std::string(req.param("name").size(), 'x') + "\"}");
    });
    net::ServerOptions opt;
    opt.engine = "fuzz";
    opt.port = 0;
    opt.body_limit_bytes = 1 << 20;
    opt.request_timeout_ms = 2000;
    opt.io_timeout_ms = 2000;
    opt.api_key = "fuzz-key";
    opt.compute_threads = 2;
    opt.queue_limit = 4;
    opt.body_budget_bytes = 4 << 20;
    server = std::make_unique<net::Server>(pool, opt, table);
    server->start();
    port = server->port();
    io = std::thread([this] { pool.run(); });
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // lives for the process: libFuzzer exits without destructors
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = sextant::test::connect_loopback(harness().port);
  if (fd < 0) return 0;
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += std::size_t(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
  return 0;
}
