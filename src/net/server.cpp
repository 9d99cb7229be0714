// The HTTP server: Listener (Server::Impl) + HttpSession, on Boost.Beast / Asio.
// The only translation unit that includes Beast or Asio.
#include "sextant/net/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <simdjson.h>

#include <optional>
#include <thread>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/auth.hpp"
#include "sextant/net/json.hpp"
#include "ws_session.hpp"

namespace sextant::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- error mapping ------------------------------------------------------------------------------

int http_status(int error_code) {
  switch (ErrorCode(error_code)) {
    case ErrorCode::invalid_argument:
    case ErrorCode::invalid_json:
    case ErrorCode::dimension_mismatch:
    case ErrorCode::non_finite:
    case ErrorCode::not_positive_definite:
    case ErrorCode::config: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::payload_too_large:
    case ErrorCode::memory_limit: return 413;
    case ErrorCode::infeasible: return 422;
    case ErrorCode::backend_unavailable:
    case ErrorCode::overloaded: return 503;
    case ErrorCode::timeout: return 504;
    case ErrorCode::io:
    case ErrorCode::internal: return 500;
  }
  return 500;
}

Response error_response(std::exception_ptr e) {
  auto make = [](ErrorCode code, std::string_view msg, std::string_view field) {
    return Response::json(error_body(code_name(code), msg, field), http_status(int(code)));
  };
  try {
    std::rethrow_exception(e);
  } catch (const Error& err) {
    return make(err.code(), err.what(), err.field());
  } catch (const simdjson::simdjson_error& err) {
    return make(ErrorCode::invalid_json, std::string("malformed JSON: ") + err.what(), "");
  } catch (const std::bad_alloc&) {
    return make(ErrorCode::memory_limit, "the request needs more memory than is available", "");
  } catch (const std::exception& err) {
    return make(ErrorCode::internal, err.what(), "");
  } catch (...) {
    return make(ErrorCode::internal, "unknown error", "");
  }
}

// ---- I/O pool -----------------------------------------------------------------------------------

struct IoPool::Impl {
  explicit Impl(int threads) : ioc(threads), guard(asio::make_work_guard(ioc)) {}
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::optional<asio::signal_set> signals;
};

IoPool::IoPool(int threads) : impl_(std::make_unique<Impl>(std::max(1, threads))), threads_(std::max(1, threads)) {}
IoPool::~IoPool() { stop(); }

void IoPool::run() {
  std::vector<std::thread> extra;
  for (int i = 1; i < threads_; ++i) extra.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : extra) t.join();
}

void IoPool::stop() {
  impl_->guard.reset();
  impl_->ioc.stop();
}

void IoPool::handle_signals(std::function<void(int)> on_signal) {
  impl_->signals.emplace(impl_->ioc, SIGINT, SIGTERM);
  impl_->signals->async_wait([this, on_signal](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (on_signal) on_signal(sig);
    stop();
  });
}

// ---- listener and sessions ----------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(IoPool::Impl& p, ServerOptions o, std::shared_ptr<const RouteTable> r)
      : pool(p),
        opt(std::move(o)),
        routes(std::move(r)),
        acceptor(asio::make_strand(p.ioc)),
        retry_timer(acceptor.get_executor()),
        compute_threads(opt.compute_threads ? opt.compute_threads : std::max(1u, std::thread::hardware_concurrency())),
        compute(compute_threads) {
    if (!opt.api_key.empty()) key_digest = bearer_digest(opt.api_key);
  }

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  //! A compute slot (running or queued) for one request; false when the engine is full.
  bool admit() {
    const std::uint64_t limit = compute_threads + opt.queue_limit;
    std::uint64_t n = inflight.load(std::memory_order_relaxed);
    while (n < limit)
      if (inflight.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
    return false;
  }
  void release() { inflight.fetch_sub(1, std::memory_order_relaxed); }

  IoPool::Impl& pool;
  ServerOptions opt;
  std::shared_ptr<const RouteTable> routes;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  //!< accept back-off when the process is out of file descriptors
  std::atomic<std::uint64_t> active{0}, inflight{0};
  RouteStats unrouted;
  Digest key_digest{};  //!< of "Bearer <api_key>": the key itself is not consulted per request
  unsigned compute_threads;
  asio::thread_pool compute;  //!< this engine's handlers (Lane::compute); last member: joined first
};

namespace {

void fail(beast::error_code ec, const char* what) {
  // Peers that vanish mid-request are routine; nothing else is logged per request.
  (void)ec;
  (void)what;
}

std::string_view as_std(beast::string_view s) { return {s.data(), s.size()}; }

// Bytes declared by the bodies of all requests in flight in this process (Content-Length, counted
// from the header until the response is written).
std::atomic<std::uint64_t> g_body_bytes{0};

// A body of this size or more with a Content-Length is read straight into place (read_direct).
constexpr std::uint64_t kDirectBodyBytes = 256 * 1024;
// The first direct read; each later one at most doubles the body, so memory follows the bytes that
// arrived, never the length a client declared.
constexpr std::size_t kFirstBodyRead = 64 * 1024;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<Server::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    server_->active.fetch_add(1, std::memory_order_relaxed);
  }
  ~HttpSession() {
    release_budget();
    server_->active.fetch_sub(1, std::memory_order_relaxed);
  }

  void run() { asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this())); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_->opt.body_limit_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_->opt.io_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
  }

  // The header decides before any body byte is read: the API key, and the body's share of the
  // process's body budget. Only then does a client that sent `Expect: 100-continue` (curl does for
  // bodies over 1 MB) get its interim response; without one it would stall for its own timeout.
  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read(ec, 0);
    const auto& h = parser_->get();
    const auto target = as_std(h.target());
    const auto path = target.substr(0, target.find('?'));
    const auto& opt = server_->opt;
    if (!opt.api_key.empty() && path != "/health" && !api_key_matches(as_std(h[http::field::authorization]), server_->key_digest)) {
      Response res = Response::json(error_body(code_name(ErrorCode::unauthorized),
                                               "missing or wrong API key: send 'Authorization: Bearer <key>'", "Authorization"),
                                    401);
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
      server_->unrouted.record(401, 0.0);
      return write(std::move(res), h.version(), false);  // the unread body goes with the connection
    }
    if (const auto len = parser_->content_length(); len && *len > 0) {
      if (g_body_bytes.fetch_add(*len, std::memory_order_relaxed) + *len > opt.body_budget_bytes) {
        g_body_bytes.fetch_sub(*len, std::memory_order_relaxed);
        return send_error(ErrorCode::overloaded,
                          "the request bodies in flight would pass the server's body budget; retry later", "1");
      }
      budget_ = *len;
    }
    if (beast::iequals(h[http::field::expect], "100-continue") && !parser_->is_done()) {
      continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, h.version());
      return http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
        if (wec) return fail(wec, "write 100-continue");
        self->read_body();
      });
    }
    read_body();
  }

  // Beast's body reader completes every 64 KB, which costs a 57 MB upload ~0.4 s of completions and
  // thread switches. A large body with a Content-Length is read straight into place instead. Its
  // length is reserved as address space only (the body budget bounds it): pages are committed as the
  // string grows, in steps that at most double what has arrived, so resident memory follows the bytes
  // received, not the length declared. One buffer, never moved: on this VM each fresh page costs a
  // fault, and growing by reallocation (a copy per doubling) cost a 27 MB body ~90 ms more.
  void read_body() {
    if (parser_->is_done()) return on_read({}, 0);  // no body (GET): no second read operation
    const auto len = parser_->content_length();
    if (!parser_->chunked() && len && *len >= kDirectBodyBytes) {
      const std::size_t total = static_cast<std::size_t>(*len);
      const std::size_t have = std::min(buffer_.size(), total);
      body_.clear();
      body_.reserve(total + simdjson::SIMDJSON_PADDING);
      body_.append(static_cast<const char*>(buffer_.data().data()), have);
      buffer_.consume(have);
      return read_direct(total);
    }
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void read_direct(std::size_t total) {
    const std::size_t have = body_.size();
    if (have == total) {
      auto msg = parser_->release();
      msg.body() = std::move(body_);
      return handle(std::move(msg));
    }
    // Each step fills exactly `step` bytes (a composed read): about log2(total / 64 KB) steps in all,
    // each committing (zero-filling) only the pages its bytes then overwrite.
    const std::size_t step = std::min(total - have, std::max(kFirstBodyRead, have));
    body_.resize(have + step);
    asio::async_read(stream_, asio::buffer(body_.data() + have, step),
                     [self = shared_from_this(), have, total](beast::error_code ec, std::size_t n) {
                       self->body_.resize(have + n);
                       if (ec) return self->on_read(ec == asio::error::eof ? http::error::partial_message : ec, 0);
                       self->read_direct(total);
                     });
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) {
      return send_error(ErrorCode::payload_too_large,
                        fmt::format("request body is over the limit of {} bytes", server_->opt.body_limit_bytes));
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
      return send_error(ErrorCode::invalid_argument, std::string("malformed HTTP request: ") + ec.message());
    if (ec) return fail(ec, "read");
    handle(parser_->release());
  }

  static Response run_handler(const Route& route, const Request& req) {
    try {
      accel::reset_request_backends();
      return route.handler(req);
    } catch (...) {
      return error_response(std::current_exception());
    }
  }

  void handle(http::request<http::string_body> msg) {
    const auto start = Clock::now();
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    const auto target = as_std(msg.target());
    const auto q = target.find('?');
    req->path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req->query = std::string(target.substr(q + 1));
    req->body = std::move(msg.body());
    req->body.reserve(req->body.size() + simdjson::SIMDJSON_PADDING);
    req->deadline = start + std::chrono::milliseconds(server_->opt.request_timeout_ms);
    const unsigned version = msg.version();
    const bool keep_alive = msg.keep_alive();
    const auto& opt = server_->opt;

    if (beast::websocket::is_upgrade(msg))
      if (const WsEndpoint* ep = server_->routes->websocket(req->path)) return upgrade(*ep, std::move(msg), *req, start);

    Match m = server_->routes->match(req->method, req->path, req->params);
    if (!m.route) {
      const bool not_found = m.status == 404;
      Response res = Response::json(
          error_body(code_name(not_found ? ErrorCode::not_found : ErrorCode::method_not_allowed),
                     not_found ? fmt::format("no endpoint {} on the {} engine", req->path, opt.engine)
                               : fmt::format("{} does not accept {}; allowed: {}", req->path, req->method, m.allow),
                     ""),
          m.status);
      if (!not_found) res.headers.emplace_back("Allow", m.allow);
      return finish(&server_->unrouted, start, std::move(res), version, keep_alive);
    }
    const Route* route = m.route;
    if (route->lane == Lane::io) return finish(route->stats.get(), start, run_handler(*route, *req), version, keep_alive);
    if (!server_->admit()) {
      Response res = Response::json(error_body(code_name(ErrorCode::overloaded),
                                               fmt::format("the {} engine is at its limit of {} running and {} queued requests; "
                                                           "retry later",
                                                           opt.engine, server_->compute_threads, opt.queue_limit),
                                               ""),
                                    503);
      res.headers.emplace_back("Retry-After", "1");
      return finish(route->stats.get(), start, std::move(res), version, keep_alive);
    }
    // The handler runs on the engine's compute pool; its answer is written from the session's strand.
    asio::post(server_->compute, [self = shared_from_this(), route, req, start, version, keep_alive] {
      Response res = run_handler(*route, *req);
      self->server_->release();
      asio::post(self->stream_.get_executor(), [self, route, start, res = std::move(res), version, keep_alive]() mutable {
        self->finish(route->stats.get(), start, std::move(res), version, keep_alive);
      });
    });
  }

  // The application opens the connection first, so it can refuse with an HTTP error; then the socket
  // leaves this session for a WebSocket session.
  void upgrade(const WsEndpoint& ep, http::request<http::string_body> msg, const Request& req, Clock::time_point start) {
    auto conn = std::make_shared<WsConnection>(ep.settings.queue);
    WsHandlers handlers;
    try {
      handlers = ep.open(conn, req);
    } catch (...) {
      return finish(&server_->unrouted, start, error_response(std::current_exception()), msg.version(), false);
    }
    release_budget();
    run_ws_session(stream_.release_socket(), std::move(msg), ep.settings, std::move(conn), std::move(handlers),
                   &server_->active, server_);
  }

  void finish(RouteStats* stats, Clock::time_point start, Response res, unsigned version, bool keep_alive) {
    stats->record(res.status, std::chrono::duration<double>(Clock::now() - start).count());
    write(std::move(res), version, keep_alive);
  }

  void send_error(ErrorCode code, std::string message, std::string retry_after = {}) {
    server_->unrouted.record(http_status(int(code)), 0.0);
    Response res = Response::json(error_body(code_name(code), message, ""), http_status(int(code)));
    if (!retry_after.empty()) res.headers.emplace_back("Retry-After", std::move(retry_after));
    write(std::move(res), 11, false);
  }

  void release_budget() {
    if (budget_) g_body_bytes.fetch_sub(budget_, std::memory_order_relaxed);
    budget_ = 0;
  }

  void write(Response&& r, unsigned version, bool keep_alive) {
    release_budget();  // the body has been used (or refused)
    res_ = {};
    res_.version(version);
    res_.result(static_cast<http::status>(r.status));
    res_.set(http::field::server, "sextant/" SEXTANT_VERSION);
    res_.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_.set(k, v);
    res_.keep_alive(keep_alive);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    close_after_ = !keep_alive;
    stream_.expires_after(std::chrono::milliseconds(server_->opt.io_timeout_ms));
    http::async_write(stream_, res_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return fail(ec, "write");
    if (close_after_) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  std::string body_;  //!< a large body read directly (read_direct)
  std::uint64_t budget_ = 0;  //!< this request's share of g_body_bytes
  http::response<http::string_body> res_;
  bool close_after_ = false;
  std::shared_ptr<Server::Impl> server_;
};

}  // namespace

void Server::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(pool.ioc), beast::bind_front_handler(&Impl::on_accept, shared_from_this()));
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
    // Out of file descriptors: accepting again at once would spin on the same error. Wait for
    // connections to close, then try again.
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([self = shared_from_this()](beast::error_code wec) {
      if (!wec) self->do_accept();
    });
    return;
  }
  if (!ec) {
    // Connection cap: past it a new connection is closed at once, so existing ones keep their service.
    if (active.load(std::memory_order_relaxed) >= opt.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<HttpSession>(std::move(socket), shared_from_this())->run();
    }
  }
  do_accept();
}

Server::Server(IoPool& pool, ServerOptions options, std::shared_ptr<const RouteTable> routes)
    : impl_(std::make_shared<Impl>(pool.impl(), std::move(options), std::move(routes))) {}

Server::~Server() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->retry_timer.cancel();
  // Joined here, on the owner's thread: a compute thread must never be the one that drops the last
  // reference to the pool it runs on.
  impl_->compute.stop();
  impl_->compute.join();
}

void Server::start() {
  auto& o = impl_->opt;
  beast::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) sextant::fail(ErrorCode::config, "host", "'{}' is not an IP address", o.host);
  tcp::endpoint ep(address, o.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (ec == asio::error::address_in_use)
    sextant::fail(ErrorCode::io, "port", "port {} ({} engine) is already in use on {}", o.port, o.engine, o.host);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    sextant::fail(ErrorCode::io, "port", "cannot listen on {}:{} ({} engine): {}", o.host, o.port, o.engine,
                  ec.message());
  impl_->do_accept();
}

std::uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::uint64_t Server::active_connections() const { return impl_->active.load(std::memory_order_relaxed); }
const RouteStats& Server::unrouted() const { return impl_->unrouted; }

}  // namespace sextant::net
