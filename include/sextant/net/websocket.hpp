#pragma once
// WebSocket endpoints as the application sees them: no Beast here (the session lives in
// src/net/ws_session.cpp). A route table maps a path to a WsEndpoint; on an upgrade the server
// authenticates, negotiates permessage-deflate, and hands the application a WsConnection.
//
// WsConnection is the connection's outbound queue, safe to use from any thread. send() never waits
// for the peer: it appends to a bounded queue that the session drains in order. A consumer that falls
// behind is handled in three steps:
//   1. past `conflate_after` queued messages, a message with a conflation key replaces the queued
//      message with the same key (the latest value per topic; sequence numbers show the gap);
//   2. past `max_messages` or `max_bytes` queued, the connection is closed with 1013 (try again later);
//   3. a single write that the peer does not take within `stall_timeout_ms` closes the connection too
//      (a client that never reads fills the socket buffers, then stalls here).
// None of these ever blocks the sender or another connection.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sextant/net/http.hpp"

namespace sextant::net {

//! Close codes the application uses (RFC 6455 §7.4.1).
enum class WsCloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  policy_violation = 1008,
  too_big = 1009,
  try_again_later = 1013,
};

struct WsQueueLimits {
  std::size_t conflate_after = 64;        //!< queued messages before keyed messages replace each other
  std::size_t max_messages = 8192;        //!< queued messages before the connection is closed (1013)
  std::size_t max_bytes = 64ull << 20;    //!< queued bytes before the connection is closed (1013)
};

struct WsSettings {
  std::uint64_t max_message_bytes = 10ull << 20;  //!< larger incoming messages close with 1009
  //! Keep-alive: after this long without a frame from the peer a ping goes out, and the connection
  //! closes when the peer stays silent as long again (Beast's idle timeout, twice this).
  std::uint64_t ping_interval_ms = 20000;
  std::uint64_t stall_timeout_ms = 10000;  //!< a write the peer does not take in this time closes it
  bool deflate = true;                     //!< offer permessage-deflate (RFC 7692)
  WsQueueLimits queue{};
};

struct WsConnectionStats {
  std::uint64_t sent = 0, conflated = 0, sent_bytes = 0;
  std::size_t queued = 0, queued_bytes = 0;
};

enum class WsPush { queued, conflated, closing };

class WsConnection;

//! Wakes many connections with one hand-off to the I/O threads: a fan-out of one message to many
//! connections collects those whose queue went from empty to non-empty, then flush() posts once (a
//! cross-thread post costs an eventfd write and an epoll wake-up; posts made on an I/O thread do not).
struct WsWakeBatch {
  std::vector<std::shared_ptr<WsConnection>> pending;
  void flush();
  ~WsWakeBatch() { flush(); }
};

class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  explicit WsConnection(WsQueueLimits limits = {});
  //! Queues a text message. A non-empty `conflate_key` lets a backed-up queue keep only the latest
  //! message per key; it must stay valid as long as `*text` (a view into the text itself, such as its
  //! topic, is the usual choice). Returns `closing` (and drops the message) once the connection is closing.
  //! With `batch`, a needed wake-up is left to batch->flush().
  WsPush send(std::shared_ptr<const std::string> text, std::string_view conflate_key = {}, WsWakeBatch* batch = nullptr);
  WsPush send(std::string text) { return send(std::make_shared<const std::string>(std::move(text))); }
  //! Asks the session to close with this code; queued messages are discarded. The first call wins.
  void close(WsCloseCode code, std::string reason);
  bool closing() const;
  //! Opt-in batching: the session sends several queued messages as one frame holding a JSON array.
  void set_batching(bool on);
  bool batching() const;
  WsConnectionStats stats() const;
  std::uint64_t id() const { return id_; }

  // ---- the session's side ----
  struct CloseRequest {
    WsCloseCode code;
    std::string reason;
  };
  //! Called whenever the queue goes from empty to non-empty, or a close is requested, from the
  //! thread that caused it. The session posts itself a drain. `post` runs a function on an I/O thread
  //! (WsWakeBatch::flush uses it).
  void set_waker(std::function<void()> waker, std::function<void(std::function<void()>)> post = {});
  void wake_now();
  //! Moves up to `max` queued messages into `out` (counted as sent); returns how many.
  std::size_t take(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max);
  std::optional<CloseRequest> close_request() const;
  //! The session's next step, read under one lock: the close asked for, else up to `max` queued
  //! messages (`batch_max` when batching) moved into `out`, as take() does.
  struct Drain {
    std::optional<CloseRequest> close;
    bool batching = false;
    std::size_t taken = 0;
  };
  Drain drain(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max, std::size_t batch_max);

 private:
  struct Entry {
    std::shared_ptr<const std::string> text;
    std::string_view key;  //!< valid while `text` lives
  };
  void wake(std::unique_lock<std::mutex>& lock);
  std::size_t take_locked(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max);
  //! Records the close, drops the queue and wakes the session (mu_ held; released by the wake).
  void close_locked(CloseRequest request, std::unique_lock<std::mutex>& lock);
  const WsQueueLimits limits_;
  const std::uint64_t id_;
  mutable std::mutex mu_;
  std::deque<Entry> queue_;
  std::uint64_t head_ = 0;  //!< absolute index of queue_.front()
  //! key -> absolute index of its latest queued message; kept only while the queue is backed up
  //! (from conflate_after until it drains below half that), so a keeping-up consumer pays nothing for it.
  std::unordered_map<std::string_view, std::uint64_t> keyed_;
  bool backed_up_ = false;
  std::size_t queued_bytes_ = 0;
  std::optional<CloseRequest> close_;
  std::function<void()> waker_;
  std::function<void(std::function<void()>)> post_;
  friend struct WsWakeBatch;
  WsConnectionStats stats_;
  bool batching_ = false;
};

//! Why a connection ended.
enum class WsEnd {
  peer_closed,    //!< the peer sent a close frame, or the TCP connection ended
  server_closed,  //!< the application asked (WsConnection::close) with a code other than 1013
  slow_consumer,  //!< the queue overflowed: closed with 1013
  stalled,        //!< a write waited past stall_timeout_ms: the socket was dropped
  protocol_error, //!< a frame broke RFC 6455/7692 (bad masking, invalid UTF-8, too big, ...) or timed out
};

//! What the application does with one connection's incoming messages.
struct WsHandlers {
  std::function<void(std::string_view text)> on_message;  //!< one whole text (or binary) message
  std::function<void(WsEnd)> on_close;                     //!< once, when the connection is gone
};

//! A WebSocket path. `open` runs on the upgrade request (after authentication); an Error it throws
//! is answered as an HTTP error instead of the upgrade.
struct WsEndpoint {
  WsSettings settings;
  std::function<WsHandlers(const std::shared_ptr<WsConnection>&, const Request& upgrade)> open;
};


}  // namespace sextant::net
