// The WebSocket session on Beast: completes the upgrade, reads whole messages into the application's
// handler, and drains the connection's queue (WsConnection) in bursts, one socket write a burst. Beast
// checks the protocol itself: masking, fragmentation, control frames, UTF-8 of text, size,
// permessage-deflate.
#include "ws_session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/dispatch.hpp>
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
// Messages (one frame each) written per socket write when the queue has backed up.
constexpr std::size_t kBurstMessages = 64;

// The websocket stream's next layer: frames land in a buffer and reach the socket together.
// Beast writes one frame per operation, and a sendmsg per frame was most of the fan-out's cost (the
// kernel's loopback path per call). The session corks while it writes a burst of queued messages and
// uncorks after the last, so a burst costs one sendmsg. Uncorked, a frame goes out at once, or, while a
// socket write is in flight, with the next one. Beast's own frames (pong, ping, close) share the buffer,
// so the order on the wire is the order Beast wrote them in. A write completes from the buffer's point of
// view, so back-pressure comes from writing(): the session starts no burst while a socket write is in flight.
class CoalescingStream {
 public:
  using executor_type = tcp::socket::executor_type;

  explicit CoalescingStream(tcp::socket&& socket) : next_(std::move(socket)) {
    beast::error_code ignored;
    next_.non_blocking(true, ignored);  // flush() writes directly first; Asio's operations work either way
  }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  tcp::socket& next_layer() noexcept { return next_; }

  //! The session that owns this stream: kept alive by each socket write, told when one ends.
  void set_owner(std::weak_ptr<void> owner, std::function<void()> on_flushed) {
    owner_ = std::move(owner);
    on_flushed_ = std::move(on_flushed);
  }
  void cork() { corked_ = true; }
  void uncork() {
    corked_ = false;
    flush();
  }
  bool writing() const { return writing_; }
  bool failed() const { return bool(error_); }  //!< the socket failed: nothing more goes out
  std::chrono::steady_clock::time_point write_started() const { return write_started_; }

  //! Appends one unmasked, unfragmented text frame (RFC 6455 §5.2) holding `text`. The session's fast
  //! path when permessage-deflate is off: it runs on the session's thread between Beast's operations,
  //! and Beast's own frames arrive whole (one async_write_some each), so frames never interleave.
  void append_text_frame(std::string_view text) {
    char header[10];
    std::size_t h = 0;
    header[h++] = static_cast<char>(0x81);  // FIN, opcode 1 (text)
    const std::uint64_t n = text.size();
    if (n < 126) {
      header[h++] = static_cast<char>(n);
    } else if (n <= 0xFFFF) {
      header[h++] = 126;
      for (int shift = 8; shift >= 0; shift -= 8) header[h++] = static_cast<char>((n >> shift) & 0xFF);
    } else {
      header[h++] = 127;
      for (int shift = 56; shift >= 0; shift -= 8) header[h++] = static_cast<char>((n >> shift) & 0xFF);
    }
    if (error_) return;
    pending_.append(header, h);
    pending_.append(text);
  }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return next_.async_read_some(buffers, std::forward<Token>(token));
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          std::size_t n = 0;
          const beast::error_code ec = error_;
          if (!ec) {
            for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b); ++it) {
              const asio::const_buffer buf(*it);
              pending_.append(static_cast<const char*>(buf.data()), buf.size());
              n += buf.size();
            }
            if (!corked_) flush();
          }
          asio::post(next_.get_executor(), beast::bind_front_handler(std::move(handler), ec, n));
        },
        token, buffers);
  }

  //! Runs `then` once the buffer is on the socket (or the socket failed): the close handshake's
  //! teardown must not overtake the close frame.
  void when_flushed(std::function<void()> then) {
    if (error_ || (!writing_ && pending_.empty())) return then();
    after_flush_.push_back(std::move(then));
    flush();
  }

 private:
  // The socket is non-blocking, so a flush first tries it directly: most bursts fit its buffer, and a
  // write completed here costs no operation, no completion hand-off and no second pump. What does not
  // fit goes out asynchronously, and the session starts nothing new until it has.
  void flush() {
    if (writing_ || corked_ || pending_.empty()) return;
    beast::error_code ec;
    std::size_t n = 0;
    if (!error_) {
      n = next_.write_some(asio::buffer(pending_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
      if (ec) error_ = ec;
    }
    if (error_ || n == pending_.size()) {
      pending_.clear();
      return flushed();
    }
    auto keep = owner_.lock();  // null before the session is shared: its handshake reply
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    inflight_.assign(pending_, n);
    pending_.clear();
    asio::async_write(next_, asio::buffer(inflight_), [this, keep](beast::error_code ec, std::size_t) {
      writing_ = false;
      inflight_.clear();
      if (ec) error_ = ec;
      flush();
      if (on_flushed_) on_flushed_();
    });
  }

  // The buffer is empty (or the socket failed): what waited for that runs.
  void flushed() {
    if (after_flush_.empty()) return;
    auto then = std::move(after_flush_);
    after_flush_.clear();
    for (auto& f : then) f();
  }

  tcp::socket next_;  // not beast::tcp_stream: the websocket stream keeps the time, and its wrapper cost per operation
  std::string pending_, inflight_;
  bool corked_ = false, writing_ = false;
  beast::error_code error_;
  std::chrono::steady_clock::time_point write_started_{};
  std::weak_ptr<void> owner_;
  std::function<void()> on_flushed_;
  std::vector<std::function<void()>> after_flush_;
};

// Teardown (found by ADL from Beast's asynchronous close; nothing here closes synchronously): after
// the buffered frames, the socket's own.
template <class Handler>
void async_teardown(beast::role_type role, CoalescingStream& stream, Handler&& handler) {
  auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  stream.when_flushed([role, &stream, h] {
    using beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(*h));
  });
}

class WsSession;
// The session whose message handler runs on this thread: a reply it sends is written when the handler
// returns, without a post back to the same thread.
thread_local const WsSession* t_handling = nullptr;

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
    this->socket().set_option(tcp::no_delay(true), ignored);
  }
  ~WsSession() {
    finish(WsEnd::peer_closed);  // no-op when already finished
    active_->fetch_sub(1, std::memory_order_relaxed);
  }

  void start(http::request<http::string_body> upgrade) {
    ws_.next_layer().set_owner(weak_from_this(), [this] { pump(); });
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(std::max<std::uint64_t>(settings_.stall_timeout_ms, 1000));
    t.idle_timeout = std::chrono::milliseconds(2 * settings_.ping_interval_ms);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    // The decorator sees the reply after Beast's extension negotiation: it tells whether frames must
    // go through Beast's deflate.
    ws_.set_option(websocket::stream_base::decorator([this](websocket::response_type& res) {
      res.set(http::field::server, "sextant/" SEXTANT_VERSION);
      deflated_ = res[http::field::sec_websocket_extensions].find("permessage-deflate") != beast::string_view::npos;
    }));
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
  tcp::socket& socket() { return ws_.next_layer().next_layer(); }

  void on_accept(beast::error_code ec) {
    if (ec) return finish(WsEnd::protocol_error);
    std::weak_ptr<WsSession> weak = shared_from_this();
    conn_->set_waker(
        [weak] {
          auto self = weak.lock();
          if (!self) return;
          if (t_handling == self.get()) {  // a reply from the message handler: written when it returns
            self->pump_after_handler_ = true;
            return;
          }
          if (self->wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
          asio::dispatch(self->ws_.get_executor(), [self] {
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
    if (handlers_.on_message && !finished_) {
      t_handling = this;
      handlers_.on_message(text);
      t_handling = nullptr;
    }
    rbuf_.consume(rbuf_.size());
    if (pump_after_handler_) {
      pump_after_handler_ = false;
      pump();
    }
    do_read();
  }

  // Runs on the session's thread: bursts until the queue is empty, or the close the application asked
  // for. Nothing starts while a socket write is in flight: the queue keeps growing meanwhile, which is
  // what lets a slow consumer's queue conflate, and the write's end pumps again. A burst the socket took
  // at once is followed by the next here: the connection wakes the session only when its queue goes
  // from empty to non-empty.
  void pump() {
    while (!finished_ && !writing_ && !closing_ && !ws_.next_layer().writing() && !ws_.next_layer().failed()) {
      out_.clear();
      const auto next = conn_->drain(out_, kBurstMessages, kBatchMessages);
      if (next.close) return start_close(*next.close);
      if (next.taken == 0) return;
      frame_.reset();
      if (next.batching && out_.size() > 1) {
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
      }
      if (deflated_ || !ws_.is_open()) {  // Beast frames (and compresses) the burst; on_write's end pumps again
        next_ = 0;
        writing_ = true;
        ws_.next_layer().cork();
        return write_next();
      }
      // No compression: the frames go straight into the stream's buffer, one socket write for all.
      auto& stream = ws_.next_layer();
      if (frame_) {
        stream.append_text_frame(*frame_);
      } else {
        for (const auto& m : out_) stream.append_text_frame(*m);
      }
      out_.clear();
      frame_.reset();
      stream.uncork();
    }
  }

  // One frame of the burst: the batch's array, or the next queued message.
  void write_next() {
    const std::string& text = frame_ ? *frame_ : *out_[next_];
    ws_.text(true);
    ws_.async_write(asio::buffer(text), beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
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
      const auto& stream = self->ws_.next_layer();
      if (stream.writing() && std::chrono::steady_clock::now() - stream.write_started() > std::chrono::milliseconds(self->settings_.stall_timeout_ms)) {
        self->end_ = WsEnd::stalled;
        self->conn_->close(WsCloseCode::try_again_later, "stalled: the client stopped reading");
        auto& sock = self->socket();
        beast::error_code ignored;
        sock.set_option(asio::socket_base::linger(true, 0), ignored);
        sock.close(ignored);
        return;
      }
      self->arm_stall_check();
    });
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      writing_ = false;
      ws_.next_layer().uncork();
      return finish(end_ ? *end_ : WsEnd::peer_closed);
    }
    if (!frame_ && ++next_ < out_.size() && !finished_) return write_next();
    writing_ = false;
    out_.clear();
    frame_.reset();
    ws_.next_layer().uncork();  // the burst's one socket write
    pump();                     // the next burst, unless that write is still in flight (its end pumps)
  }

  void start_close(const WsConnection::CloseRequest& req) {
    closing_ = true;
    if (!end_) end_ = req.code == WsCloseCode::try_again_later ? WsEnd::slow_consumer : WsEnd::server_closed;
    websocket::close_reason reason(static_cast<websocket::close_code>(req.code), req.reason.substr(0, 120));
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish(*self->end_);
      beast::error_code ignored;
      self->socket().close(ignored);
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

  websocket::stream<CoalescingStream> ws_;
  const WsSettings settings_;
  std::shared_ptr<WsConnection> conn_;
  WsHandlers handlers_;
  beast::flat_buffer rbuf_;
  std::vector<std::shared_ptr<const std::string>> out_;  //!< the messages of the write in flight
  std::shared_ptr<std::string> frame_;                    //!< a batch frame in flight
  std::size_t next_ = 0;                                  //!< the burst's next message (Beast's path)
  asio::steady_timer stall_timer_;
  std::atomic<bool> wake_pending_{false};
  bool pump_after_handler_ = false;  //!< the handler queued a message on this thread: no post needed
  bool writing_ = false, closing_ = false, finished_ = false;  //!< writing_: Beast is framing a burst
  bool deflated_ = true;  //!< permessage-deflate negotiated: messages go through Beast's writer
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
