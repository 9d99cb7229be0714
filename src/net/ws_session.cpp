// The WebSocket session on Beast: completes the upgrade, reads whole messages into the application's
// handler, and drains the connection's queue (WsConnection) one write at a time. Beast checks the
// protocol itself: masking, fragmentation, control frames, UTF-8 of text, size, permessage-deflate.
#include "ws_session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <vector>

namespace sextant::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Messages taken from the queue per write when batching (one JSON array per frame).
constexpr std::size_t kBatchMessages = 256;

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket&& socket, const WsSettings& settings, std::shared_ptr<WsConnection> conn, WsHandlers handlers,
            std::atomic<std::uint64_t>* active, std::shared_ptr<const void> owner)
      : ws_(std::move(socket)),
        settings_(settings),
        conn_(std::move(conn)),
        handlers_(std::move(handlers)),
        stall_timer_(ws_.get_executor()),
        active_(active),
        owner_(std::move(owner)) {
    active_->fetch_add(1, std::memory_order_relaxed);
    // Small frames go out at once: with Nagle's algorithm a frame waits for the peer's (delayed) ACK.
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
  }
  ~WsSession() {
    finish(WsEnd::peer_closed);  // no-op when already finished
    active_->fetch_sub(1, std::memory_order_relaxed);
  }

  void start(http::request<http::string_body> upgrade) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream's own timeouts apply from here
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(std::max<std::uint64_t>(settings_.stall_timeout_ms, 1000));
    t.idle_timeout = std::chrono::milliseconds(2 * settings_.ping_interval_ms);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "sextant/" SEXTANT_VERSION); }));
    if (settings_.deflate) {
      websocket::permessage_deflate pmd;
      pmd.server_enable = true;
      pmd.compLevel = 3;  // market data compresses ~4x at level 3; higher levels cost CPU per frame
      pmd.memLevel = 8;
      ws_.set_option(pmd);
    }
    ws_.read_message_max(settings_.max_message_bytes);
    ws_.auto_fragment(false);
    ws_.async_accept(upgrade, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return finish(WsEnd::protocol_error);
    std::weak_ptr<WsSession> weak = shared_from_this();
    conn_->set_waker(
        [weak] {
          auto self = weak.lock();
          if (!self || self->wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
          asio::post(self->ws_.get_executor(), [self] {
            self->wake_pending_.store(false, std::memory_order_release);
            self->pump();
          });
        },
        [ioc = &static_cast<asio::io_context&>(asio::query(ws_.get_executor(), asio::execution::context))](std::function<void()> f) {
          asio::post(*ioc, std::move(f));
        });
    arm_stall_check();
    do_read();
  }

  void do_read() { ws_.async_read(rbuf_, beast::bind_front_handler(&WsSession::on_read, shared_from_this())); }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::closed || ec == asio::error::eof || ec == asio::error::connection_reset)
        return finish(end_ ? *end_ : WsEnd::peer_closed);
      return finish(end_ ? *end_ : WsEnd::protocol_error);
    }
    const auto data = rbuf_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (handlers_.on_message && !finished_) handlers_.on_message(text);
    rbuf_.consume(rbuf_.size());
    do_read();
  }

  // Runs on the strand: the next write, or the close the application asked for.
  void pump() {
    if (finished_ || writing_ || closing_) return;
    if (auto req = conn_->close_request()) return start_close(*req);
    out_.clear();
    const bool batch = conn_->batching();
    if (conn_->take(out_, batch ? kBatchMessages : 1) == 0) return;
    if (out_.size() == 1) {
      frame_.reset();
      write(asio::buffer(*out_[0]));
    } else {
      frame_ = std::make_shared<std::string>();
      std::size_t total = 2;
      for (const auto& m : out_) total += m->size() + 1;
      frame_->reserve(total);
      *frame_ += '[';
      for (std::size_t i = 0; i < out_.size(); ++i) {
        if (i) *frame_ += ',';
        *frame_ += *out_[i];
      }
      *frame_ += ']';
      write(asio::buffer(*frame_));
    }
  }

  void write(asio::const_buffer buf) {
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    ws_.text(true);
    ws_.async_write(buf, beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
  }

  // The stall check: a timer per session every stall_timeout/4 (not one per write, which cost two
  // timer-queue updates per message) looks at the write in flight. One the peer has not taken for
  // stall_timeout_ms means it stopped reading; a close frame could not get past that write either, so
  // the socket goes, with a reset: a graceful close would leave the kernel holding the unsent bytes for
  // a peer that takes none.
  void arm_stall_check() {
    stall_timer_.expires_after(std::chrono::milliseconds(std::max<std::uint64_t>(settings_.stall_timeout_ms / 4, 25)));
    stall_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->finished_) return;
      if (self->writing_ && std::chrono::steady_clock::now() - self->write_started_ > std::chrono::milliseconds(self->settings_.stall_timeout_ms)) {
        self->end_ = WsEnd::stalled;
        self->conn_->close(WsCloseCode::try_again_later, "stalled: the client stopped reading");
        auto& sock = beast::get_lowest_layer(self->ws_).socket();
        beast::error_code ignored;
        sock.set_option(asio::socket_base::linger(true, 0), ignored);
        sock.close(ignored);
        return;
      }
      self->arm_stall_check();
    });
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) return finish(end_ ? *end_ : WsEnd::peer_closed);
    conn_->record_sent(out_.size(), bytes);
    out_.clear();
    pump();
  }

  void start_close(const WsConnection::CloseRequest& req) {
    closing_ = true;
    if (!end_) end_ = req.code == WsCloseCode::try_again_later ? WsEnd::slow_consumer : WsEnd::server_closed;
    websocket::close_reason reason(static_cast<websocket::close_code>(req.code), req.reason.substr(0, 120));
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish(*self->end_);
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
  }

  void finish(WsEnd why) {
    if (finished_) return;
    finished_ = true;
    stall_timer_.cancel();
    conn_->close(WsCloseCode::going_away, "closed");  // the application's sends stop here
    conn_->set_waker(nullptr);
    if (handlers_.on_close) handlers_.on_close(why);
    handlers_ = {};
  }

  websocket::stream<beast::tcp_stream> ws_;
  const WsSettings settings_;
  std::shared_ptr<WsConnection> conn_;
  WsHandlers handlers_;
  beast::flat_buffer rbuf_;
  std::vector<std::shared_ptr<const std::string>> out_;  //!< the messages of the write in flight
  std::shared_ptr<std::string> frame_;                    //!< a batch frame in flight
  asio::steady_timer stall_timer_;
  std::atomic<bool> wake_pending_{false};
  bool writing_ = false, closing_ = false, finished_ = false;
  std::chrono::steady_clock::time_point write_started_{};
  std::optional<WsEnd> end_;
  std::atomic<std::uint64_t>* active_;
  std::shared_ptr<const void> owner_;
};

}  // namespace

void run_ws_session(tcp::socket socket, http::request<http::string_body> upgrade, const WsSettings& settings,
                    std::shared_ptr<WsConnection> conn, WsHandlers handlers, std::atomic<std::uint64_t>* active,
                    std::shared_ptr<const void> owner) {
  auto session = std::make_shared<WsSession>(std::move(socket), settings, std::move(conn), std::move(handlers), active,
                                             std::move(owner));
  session->start(std::move(upgrade));
}

}  // namespace sextant::net
